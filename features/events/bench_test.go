package events_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/events"
)

// genRows is a RowReader of n generated events: accounts x two years of
// days, with an amount and a user. Cells come from small tables, so the
// benchmark measures the roll-up, not the generator.
type genRows struct {
	n, i     int
	r        *rand.Rand
	accounts []string
	days     []string
	amounts  []string
	users    []string
	row      []string
}

func newGenRows(n, accounts int) *genRows {
	g := &genRows{n: n, r: rand.New(rand.NewPCG(1, 1)), row: make([]string, 4)}
	for i := range accounts {
		g.accounts = append(g.accounts, fmt.Sprintf("acct-%06d", i))
	}
	start, _ := features.ParseDate("2023-01-02")
	for d := range 728 {
		g.days = append(g.days, (start+features.Date(d)).String()+"T12:00:00Z")
	}
	for i := range 100 {
		g.amounts = append(g.amounts, strconv.FormatFloat(float64(i)*1.25, 'f', 2, 64))
	}
	for i := range 20 {
		g.users = append(g.users, "u"+strconv.Itoa(i))
	}
	return g
}

func (g *genRows) Columns() []string { return []string{"account", "at", "amount", "user"} }

func (g *genRows) Next() ([]string, error) {
	if g.i == g.n {
		return nil, io.EOF
	}
	g.i++
	g.row[0] = g.accounts[g.r.IntN(len(g.accounts))]
	g.row[1] = g.days[g.r.IntN(len(g.days))]
	g.row[2] = g.amounts[g.r.IntN(len(g.amounts))]
	g.row[3] = g.users[g.r.IntN(len(g.users))]
	return g.row, nil
}

func (g *genRows) Where() (string, int) { return "generated", g.i + 1 }
func (g *genRows) Close() error         { return nil }

type discard struct{ n int }

func (d *discard) Write(*features.Snapshot) error { d.n++; return nil }

// BenchmarkRollup folds 1M generated events over two years (RFC 3339
// timestamps, a sum, a distinct count, a 90-day silence rule) into
// snapshots: of 10,000 accounts (about one event per account-week, the
// worst case, where the cost is the weeks) and of 1,000 (about ten). Run it
// alone: go test -run '^$' -bench Rollup -benchtime 1x -benchmem
// ./features/events/
func BenchmarkRollup(b *testing.B) {
	const n = 1_000_000
	for _, accounts := range []int{10_000, 1_000} {
		b.Run(fmt.Sprintf("accounts=%d", accounts), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m := &events.Mapping{ChurnAfterSilence: "90d", Sources: []events.Source{{
					Name: "generated", Account: "account", Time: "at",
					Sum:           []events.Signal{{Column: "amount"}},
					CountDistinct: []events.Signal{{Column: "user", As: "users"}},
					Open:          func() (events.RowReader, error) { return newGenRows(n, accounts), nil },
				}}}
				var w discard
				if _, err := events.Build(context.Background(), m, events.Options{}, &w); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

var benchFile = flag.String("bench-file", "", "event CSV for BenchmarkRollupFile, as genevents writes it (ts, account_id, user_id, amount)")

// BenchmarkRollupFile rolls up -bench-file the way make bench-events
// does (`churn snapshots --account account_id --time ts --sum amount
// --count-distinct user_id --churn-after-silence 90d`), without writing
// the snapshots: for a profile of the reading and folding. It skips
// without the flag:
//
//	go run ./features/events/internal/genevents -events 10000000 -out out/bench/events.csv
//	go test -run '^$' -bench RollupFile -benchtime 1x -cpuprofile cpu.out ./features/events/ -args -bench-file=$PWD/out/bench/events.csv
func BenchmarkRollupFile(b *testing.B) {
	if *benchFile == "" {
		b.Skip("no -bench-file")
	}
	var rows int64
	for b.Loop() {
		m := &events.Mapping{ChurnAfterSilence: "90d", Sources: []events.Source{{
			Path: *benchFile, Account: "account_id", Time: "ts",
			Sum:           []events.Signal{{Column: "amount"}},
			CountDistinct: []events.Signal{{Column: "user_id", As: "distinct_user_id"}},
		}}}
		var w discard
		rep, err := events.Build(context.Background(), m, events.Options{}, &w)
		if err != nil {
			b.Fatal(err)
		}
		rows = rep.Rows
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
