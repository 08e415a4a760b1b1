package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/alerts"
	"github.com/churnlabs/churn/models/crm"
	"github.com/churnlabs/churn/models/maturity"
	"github.com/churnlabs/churn/models/plays"
	"github.com/churnlabs/churn/models/registry"
	"github.com/churnlabs/churn/models/webhook"
	"github.com/churnlabs/churn/serve"
	"github.com/churnlabs/churn/serve/dashboard"
)

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "(--model DIR | --registry DIR) [--snapshots FILE] [flags]",
		`Serves churn scores over HTTP. On start it loads the model and scores every
account active at its latest snapshot week; then:

  GET  /v1/accounts/{id}/score   an account's score, contributions and drivers
  POST /v1/score                 scores raw feature rows ({"features": {...}}
                                 or {"rows": [...]})
  GET  /v1/ranking               a page of the accounts by risk (segment,
                                 renewal_within_days, sort=probability|arr_at_risk,
                                 limit up to 1000, offset) with the totals
  GET  /v1/model                 the model, its training window and validation
  GET  /v1/maturity              with --maturity: the maturity ladder, churn by
                                 level with its interval, accounts per level
  GET  /v1/alerts                with a score history: the alerts raised (week,
                                 cause, limit, offset) and their delivery
  GET  /                         the dashboard
  GET  /healthz, /readyz, /metrics, and the Open Inference Protocol v2 health
       and metadata routes under /v2
  GET  /openapi.json             the OpenAPI 3 description of every route

SIGHUP or POST /v1/admin/reload reloads the model directory and the snapshot
file; a model or file that fails to load is rejected and the old one keeps
serving. With --registry DIR instead of --model, the server serves the
registry's champion and follows it: it looks at DIR/champion.json every
--poll and reloads when "churn models promote" or "rollback" changed it,
with no failed request. SIGINT or SIGTERM stops the server after in-flight requests finish.
With --token-file every route but health, metrics and the dashboard page
itself needs the header "Authorization: Bearer TOKEN"; the page asks for the
token and sends it with its API calls. With --admin-token-file the reload
route needs that token instead, and no longer takes --token-file's.

The server records the scores it serves, at start, on every reload and every
--record-every (weekly by default: it reads the snapshots again and records
the latest week), in the score history (--db; by default churn.db beside the
model folder, none with --db off), and the dashboard's sparklines and change
since last week show the scores recorded as shown. A failure to record is
logged and counted, and fails no request. Recording a week again replaces
it: one copy per week and model version.

A shadow is a challenger scored beside the served model on the same
accounts and week and recorded under its own version, marked shadow, but
never shown by any route; "churn monitor" then compares the two on live
traffic. With --model, --shadow DIR names one; with --registry the server
follows the registry's shadow ("churn models shadow"). A shadow that fails
to load, score or record is logged and counted in
churn_shadow_failures_total, and the served model serves alone.

After each recording the server raises the latest week's alerts (as churn
alerts does: turned red, jumped, red near renewal) into the score history,
once per account, cause and week, and GET /v1/alerts and the dashboard's
Alerts view list them. With --webhook URL it also delivers them, in the
background; without, they stay pending, and a later run with a webhook
sends those of the latest week (older ones no sender tried stay listed,
not posted weeks late).

With --crm-webhook URL --crm salesforce|hubspot, each week's scores are
pushed to URL after the server scores them (at start, on reload and every
--record-every; once per week and model version), as JSON: the fields of
"churn score --format crm", --crm-batch records per request, in the
background, with retries as for --webhook. A restart pushes the week
again; the CRM's upsert by external id makes that harmless.

A model trained on a customer table (train --table) needs no --snapshots:
POST /v1/score takes the table's raw columns (categories as strings) and
answers contributions per column; it has no accounts to rank.

With --maturity FILE (a ladder, as churn score --maturity reads) or
--maturity learn (learned from the snapshots' leading indicators on every
load, as churn report does), every load also reads the snapshots' whole
history, places each ranked account on maturity level 1 to 4 at its scored
week, adds maturity_level, maturity_name and maturity_lacks (what it lacks
for the next level) to the ranking and account routes, and serves GET
/v1/maturity. A ladder that cannot be learned or names a column the
snapshots lack fails the start, or rejects the reload.`)
	modelDir := fs.String("model", "", "model directory written by \"churn train\"")
	registryDir := fs.String("registry", "", "registry folder whose champion to serve and follow, instead of --model")
	poll := fs.Duration("poll", serve.DefaultPoll, "with --registry: how often to look for a new champion or shadow")
	shadowDir := fs.String("shadow", "", "with --model: a model directory to score beside it, recorded and never shown")
	recordEvery := fs.Duration("record-every", serve.DefaultRecordEvery, "how often to read the snapshots again and record the latest week's scores; 0 turns it off")
	snapshots := fs.String("snapshots", "", "snapshot file (.parquet or .csv) whose latest week is scored (not for a customer table's model)")
	webhook := fs.String("webhook", "", "after each recording, send the latest week's alerts (as churn alerts does) to this URL")
	webhookFormat := fs.String("webhook-format", string(alerts.JSON), "with --webhook: json or slack")
	crmWebhook := fs.String("crm-webhook", "", "after each new week or model is scored, POST its accounts' CRM fields (as churn score --format crm) to this URL")
	crmName := fs.String("crm", "", "with --crm-webhook: the CRM whose field names to send: "+strings.Join(crm.Names(), " or "))
	crmBatch := fs.Int("crm-batch", crm.DefaultBatch, "with --crm-webhook: records per request")
	normalize := weeksFlag(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on, host:port")
	tokenFile := fs.String("token-file", "", "file holding the bearer token requests must carry (default: no authentication)")
	adminTokenFile := fs.String("admin-token-file", "", "file holding the bearer token POST /v1/admin/reload must carry instead of --token-file's")
	public := fs.Bool("public-dashboard", false, "with --token-file, let anyone read the ranking, account and model routes the dashboard uses")
	maxBatch := fs.Int("max-batch", serve.DefaultMaxBatch, "most rows one POST /v1/score may carry")
	maxBody := fs.Int64("max-body", serve.DefaultMaxBodyBytes, "largest request body, in bytes")
	accessLog := fs.String("access-log", "stderr", "where to write one JSON line per request: stderr, off, or a file to append to")
	db := dbFlag(fs, "the score history, or off")
	drain := fs.Duration("drain", serve.DefaultDrain, "on SIGINT or SIGTERM, how long to keep serving with /readyz failing before closing, so load balancers stop sending first")
	segFile := fs.String("segments", "", "YAML segment file (see churn plays): GET /v1/plays, and each ranked account's renewal segment and health under its cut-offs (play_segment, cutoffs)")
	ladderFile := fs.String("maturity", "", "maturity levels: a ladder file (YAML, as churn score --maturity reads), or \"learn\" to learn one from the snapshots as churn report does (default: none)")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if (*modelDir == "") == (*registryDir == "") {
		return usageError(fs, "give one of --model DIR and --registry DIR")
	}
	if *poll <= 0 {
		return usageError(fs, "--poll %v: want a positive duration", *poll)
	}
	if isSet(fs, "poll") && *registryDir == "" {
		return usageError(fs, "--poll needs --registry")
	}
	if *shadowDir != "" && *registryDir != "" {
		return usageError(fs, "--shadow is for --model: with --registry the server follows the registry's shadow (\"churn models shadow\")")
	}
	if *recordEvery < 0 {
		return usageError(fs, "--record-every %v: want 0 (off) or a positive duration", *recordEvery)
	}
	pushCRM, err := crmPushConfig(fs, *crmWebhook, *crmName, *crmBatch)
	if err != nil {
		return err
	}
	var champion serve.Champion
	var shadow serve.ShadowSource
	if *registryDir != "" {
		if fi, err := os.Stat(*registryDir); err != nil || !fi.IsDir() {
			return fmt.Errorf("registry %s: not a folder (\"churn train --registry %s\" creates it)", *registryDir, *registryDir)
		}
		// Serving writes no audit: the registry is read without a store.
		reg := registry.Open(*registryDir, nil)
		champion, shadow = reg, reg
	}
	if *maxBatch < 1 {
		return usageError(fs, "--max-batch %d: want at least 1", *maxBatch)
	}
	if *maxBody < 1 {
		return usageError(fs, "--max-body %d: want at least 1", *maxBody)
	}
	if *drain < 0 {
		return usageError(fs, "--drain %v: want 0 or more", *drain)
	}
	var mat *serve.Maturity
	if *ladderFile != "" {
		if *snapshots == "" {
			return usageError(fs, "--maturity places the accounts of --snapshots: give the snapshot file")
		}
		mat = &serve.Maturity{}
		if *ladderFile != "learn" {
			// Read first: a mistake in the file fails before the
			// long load.
			l, err := maturity.ReadLadder(*ladderFile)
			if err != nil {
				return err
			}
			mat.Ladder, mat.Source = l, *ladderFile
		}
	}
	access, closeAccess, err := openAccessLog(*accessLog, e)
	if err != nil {
		return err
	}
	defer closeAccess()
	// SIGHUP's default action ends the process: catch it before the
	// long load, and reload on it once serving.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	token, err := readToken("token-file", *tokenFile, log)
	if err != nil {
		return err
	}
	adminToken, err := readToken("admin-token-file", *adminTokenFile, log)
	if err != nil {
		return err
	}
	if adminToken != "" && adminToken == token {
		return errors.New("--admin-token-file holds the same token as --token-file: give the admin route a token of its own")
	}
	if token == "" && !isLoopback(*addr) {
		log.Warn("serving beyond this machine without authentication: consider --token-file", "addr", *addr)
	}
	// Beside a registry, the default store is the one "churn models"
	// audits in, DIR/churn.db: the one beside DIR's folders.
	beside := *modelDir
	if *registryDir != "" {
		beside = filepath.Join(*registryDir, "versions")
	}
	store, err := openServeStore(ctx, *db, beside, log)
	if err != nil {
		return err
	}
	var scores serve.ScoreHistory
	if store != nil {
		defer store.Close()
		scores = store
		log.Info("score history", "db", store.String())
	}
	// Alerts are raised into the store whenever there is one, so that
	// GET /v1/alerts and the dashboard list them; they are delivered
	// only with --webhook (a later run with one sends those kept
	// pending).
	var alerter serve.Alerter
	if *webhook != "" && store == nil {
		return errors.New("--webhook: alerts are raised from the score history, and there is none (see --db)")
	}
	if store != nil {
		var snd *alerts.Sender
		if *webhook != "" {
			f, err := alerts.ParseFormat(*webhookFormat)
			if err != nil {
				return fmt.Errorf("--webhook-format: %w", err)
			}
			if snd, err = alerts.NewSender(alerts.Config{URL: *webhook, Format: f, Log: log}, store); err != nil {
				return fmt.Errorf("--webhook: %w", err)
			}
			// Runs after srv.Close has finished the last recording: the
			// alerts in flight get a moment, the rest stay pending in the
			// store for the next start.
			defer func() {
				c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
				defer cancel()
				snd.Close(c)
			}()
		}
		alerter = &alerts.Notifier{Store: store, Sender: snd}
	}
	// A model of snapshots needs them (serve.New says so); a customer
	// table's model scores the rows it is sent and needs none.
	var segs *plays.Segments
	if *segFile != "" {
		if segs, err = plays.Read(*segFile); err != nil {
			return err
		}
	}
	var src features.Source
	if *snapshots != "" {
		src = snapshotSource(e, *snapshots, *normalize)
	}
	// Loading holds the feature builder's histories, each account's
	// latest row and the book being built at once, and a reload the
	// served book beside them: at Go's default the heap may double what
	// is live. Serving allocates little, so the more frequent
	// collections cost little.
	tightenGC(bookGC)
	srv, err := serve.New(ctx, serve.Config{
		ModelDir:        *modelDir,
		Champion:        champion,
		Snapshots:       src,
		Token:           token,
		AdminToken:      adminToken,
		PublicDashboard: *public,
		Dashboard:       dashboard.Handler(),
		MaxBatch:        *maxBatch,
		MaxBodyBytes:    *maxBody,
		Drain:           *drain,
		Logger:          log,
		AccessLog:       access,
		Scores:          scores,
		ShadowDir:       *shadowDir,
		Shadow:          shadow,
		RecordEvery:     *recordEvery,
		Alerts:          alerter,
		Segments:        segs,
		CRM:             pushCRM,
		Maturity:        mat,
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	go reloadOnSignal(ctx, hup, srv, log)
	go srv.FollowChampion(ctx, *poll)
	go srv.RecordPeriodically(ctx)
	return srv.ListenAndServe(ctx, *addr)
}

// crmPushConfig checks the CRM push flags: nil without --crm-webhook.
func crmPushConfig(fs *flag.FlagSet, url, name string, batch int) (*crm.PushConfig, error) {
	if url == "" {
		for _, f := range []string{"crm", "crm-batch"} {
			if isSet(fs, f) {
				return nil, usageError(fs, "--%s is for --crm-webhook", f)
			}
		}
		return nil, nil
	}
	if _, err := crm.Lookup(name); err != nil {
		return nil, usageError(fs, "--crm-webhook needs --crm: %v", err)
	}
	if batch < 1 {
		return nil, usageError(fs, "--crm-batch %d: want at least 1", batch)
	}
	if err := webhook.CheckURL(url); err != nil {
		return nil, usageError(fs, "--crm-webhook: %v", err)
	}
	return &crm.PushConfig{URL: url, CRM: name, Batch: batch}, nil
}

// openAccessLog opens the --access-log destination: nil for "off".
func openAccessLog(dest string, e *env) (io.Writer, func(), error) {
	switch dest {
	case "off":
		return nil, func() {}, nil
	case "stderr":
		return e.stderr, func() {}, nil
	case "":
		return nil, nil, errors.New("--access-log is empty: want stderr, off or a file")
	}
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("--access-log: %w", err)
	}
	return f, func() { f.Close() }, nil
}

// reloader is what reloadOnSignal needs of a server.
type reloader interface {
	Reload(ctx context.Context) error
}

// reloadOnSignal reloads srv on every signal from sig until ctx is done,
// as daemons reload their configuration on SIGHUP. Reload logs its own
// outcome, and a rejected reload leaves the old model serving, so there
// is nothing more to do with its error.
func reloadOnSignal(ctx context.Context, sig <-chan os.Signal, srv reloader, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-sig:
			log.Info("reloading the model and snapshots", "signal", s.String())
			_ = srv.Reload(ctx)
		}
	}
}

// readToken reads the bearer token of the named flag from path, "" when
// path is "". It warns when others may read the file: the token is the
// only key.
func readToken(flag, path string, log *slog.Logger) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--%s: %w", flag, err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", fmt.Errorf("--%s %s is empty", flag, path)
	}
	if strings.ContainsAny(token, " \t\r\n") {
		return "", fmt.Errorf("--%s: the token must be one line without spaces", flag)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		log.Warn("the token file is readable by other users: chmod 600 it", "path", path, "mode", fi.Mode().Perm().String())
	}
	return token, nil
}

// isLoopback reports whether addr listens on this machine only.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
