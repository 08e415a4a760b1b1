// Package pgtest starts a throwaway PostgreSQL cluster for tests. It is
// for tests only: a package's _test.go files import it so that their
// tests run on a real server, not a mock.
//
// The cluster is made from the PostgreSQL binaries found on PATH or under
// /usr/lib/postgresql/*/bin (Debian's packages): initdb into a temporary
// directory, then postgres on a free port of 127.0.0.1 with its unix
// socket in that directory. PostgreSQL refuses to run as root, so when the
// tests run as root (CI, containers) the cluster runs as the postgres
// system user, or nobody when there is none.
//
// A test binary starts at most one cluster, on the first test that asks
// for a database, and each test gets a database of its own:
//
//	var pg = pgtest.New()
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		pg.Stop()
//		os.Exit(code)
//	}
//
//	func TestQuery(t *testing.T) {
//		url := pg.DB(t) // skips when no PostgreSQL can be started
//		...
//	}
//
// When no PostgreSQL can be started the tests skip, saying why, unless the
// environment sets CHURN_POSTGRES=require (as CI does): then they fail.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env is the environment variable that, set to "require", turns a skip
// for want of PostgreSQL into a failure.
const Env = "CHURN_POSTGRES"

// Cluster is a throwaway PostgreSQL cluster, started on first use.
type Cluster struct {
	once sync.Once
	err  error // why the cluster could not be started

	dir  string // temporary directory: data/ and the unix socket
	port int
	cmd  *exec.Cmd
	done chan struct{} // closed when the server process has exited
	log  *os.File

	mu  sync.Mutex
	dbs int
}

// New returns a cluster that starts when a test first calls DB.
func New() *Cluster { return &Cluster{} }

// DB returns the URL of a new, empty database for t, starting the cluster
// on first use. Without PostgreSQL it skips t, or fails it when
// CHURN_POSTGRES=require.
func (c *Cluster) DB(t testing.TB) string {
	t.Helper()
	c.once.Do(func() { c.err = c.start() })
	if c.err != nil {
		if os.Getenv(Env) == "require" {
			t.Fatalf("PostgreSQL is required (%s=require) but could not be started: %v", Env, c.err)
		}
		t.Skipf("no PostgreSQL for this test (set %s=require to fail instead): %v", Env, c.err)
	}
	c.mu.Lock()
	c.dbs++
	name := fmt.Sprintf("test%d", c.dbs)
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	return c.URL(name)
}

// URL returns the connection URL of database db.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// Stop stops the cluster, if it was started, and removes its files.
func (c *Cluster) Stop() error {
	var err error
	if c.cmd != nil && c.cmd.Process != nil {
		// SIGINT is PostgreSQL's fast shutdown: sessions are ended, no
		// checkpoint worth waiting for in a throwaway cluster.
		c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.done:
		case <-time.After(20 * time.Second):
			c.cmd.Process.Kill()
			<-c.done
			err = errors.New("pgtest: PostgreSQL did not stop within 20s; killed")
		}
		c.cmd = nil
	}
	if c.log != nil {
		c.log.Close()
	}
	if c.dir != "" {
		if rerr := os.RemoveAll(c.dir); rerr != nil && err == nil {
			err = rerr
		}
		c.dir = ""
	}
	return err
}

// start makes and starts the cluster; on error it leaves nothing behind.
func (c *Cluster) start() (err error) {
	bin, err := binDir()
	if err != nil {
		return err
	}
	cred, err := credential()
	if err != nil {
		return err
	}
	if c.dir, err = os.MkdirTemp("", "churn-pgtest-"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	if cred != nil {
		if err := os.Chown(c.dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("give %s to the PostgreSQL user: %w", c.dir, err)
		}
	}
	data := filepath.Join(c.dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Dir = c.dir
	initdb.Env = env()
	initdb.SysProcAttr = sysProcAttr(cred)
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w: %s", err, lastLines(string(out)))
	}
	if c.port, err = freePort(); err != nil {
		return err
	}
	if c.log, err = os.Create(filepath.Join(c.dir, "postgres.log")); err != nil {
		return err
	}
	c.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-p", strconv.Itoa(c.port), "-k", c.dir, "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "TimeZone=UTC")
	c.cmd.Dir = c.dir
	c.cmd.Env = env()
	c.cmd.Stdout = c.log
	c.cmd.Stderr = c.log
	c.cmd.SysProcAttr = sysProcAttr(cred)
	if err := c.cmd.Start(); err != nil {
		c.cmd = nil
		return fmt.Errorf("start postgres: %w", err)
	}
	c.done = make(chan struct{})
	go func() { c.cmd.Wait(); close(c.done) }()
	return c.wait()
}

// wait waits until the server accepts connections.
func (c *Cluster) wait() error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err == nil {
			conn.Close(ctx)
			cancel()
			return nil
		}
		cancel()
		select {
		case <-c.done:
			c.cmd = nil
			out, _ := os.ReadFile(c.log.Name())
			return fmt.Errorf("postgres exited: %s", lastLines(string(out)))
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within 30s: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// binDir finds the directory holding initdb and postgres: PATH first,
// then Debian's /usr/lib/postgresql/VERSION/bin, the newest version.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("no initdb on PATH nor in /usr/lib/postgresql/*/bin (Debian: apt-get install postgresql)")
}

// credential returns the user to run PostgreSQL as: nil (this process's
// user) unless running as root, which PostgreSQL refuses.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root and there is neither a postgres nor a nobody user to run PostgreSQL as")
}

// env is the servers' environment: this one's, with a C locale and a home
// the PostgreSQL user may not be able to read left out.
func env() []string {
	var e []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "LANG", "LANGUAGE", "HOME", "PGDATA", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE":
			continue
		}
		if strings.HasPrefix(k, "LC_") {
			continue
		}
		e = append(e, kv)
	}
	return append(e, "LC_ALL=C")
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, "\n")
}
