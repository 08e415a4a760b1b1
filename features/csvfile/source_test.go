package csvfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/churnlabs/churn/features"
)

func TestSource(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "snapshots.csv")
	body := "account_id,week,logins,frequency,recency_days,sla_breaches,overdue_invoices,nps\n" +
		"a,2024-01-01,3,2,1,0,0,7\n" +
		"a,2024-01-08,4,2,1,0,0,8\n" +
		"b,2024-01-01,1,0,9,1,0,\n"
	if err := os.WriteFile(good, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		path    string
		rows    int
		extras  []string
		notExit bool // the error wraps fs.ErrNotExist
	}{
		{name: "file", path: good, rows: 3, extras: []string{"nps"}},
		{name: "missing", path: filepath.Join(dir, "missing.csv"), notExit: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := Source(tc.path)
			if src.Name != tc.path || src.NormalizeWeeks {
				t.Errorf("source %q, NormalizeWeeks %v: want the path and false", src.Name, src.NormalizeWeeks)
			}
			r, err := src.Open()
			if tc.notExit {
				// A nil *Reader in the interface would pass r == nil
				// checks in no caller.
				if !errors.Is(err, fs.ErrNotExist) || r != nil {
					t.Fatalf("Open = %#v, %v: want a nil reader and a not-exist error", r, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r.(*Reader).Close()
			// Every Read opens the file afresh, as Build's passes need.
			for pass := range 2 {
				n := 0
				err := src.Read(func(r features.SnapshotReader) error {
					if got := r.Schema().Extras; len(got) != len(tc.extras) || got[0] != tc.extras[0] {
						t.Errorf("extras %v, want %v", got, tc.extras)
					}
					var s features.Snapshot
					for {
						switch err := r.Next(&s); err {
						case nil:
							n++
						case io.EOF:
							return nil
						default:
							return err
						}
					}
				})
				if err != nil {
					t.Fatalf("pass %d: %v", pass, err)
				}
				if n != tc.rows {
					t.Errorf("pass %d: %d rows, want %d", pass, n, tc.rows)
				}
			}
		})
	}
}
