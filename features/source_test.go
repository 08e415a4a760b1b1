package features_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/csvfile"
	"github.com/churnlabs/churn/features/parquetfile"
)

// TestFileSources holds each file adapter's Source to the same contract:
// named by its path, a nil reader (not a nil pointer in an interface) and
// a not-exist error for a missing file, and the file opened afresh on
// every Read, as Build's passes need.
func TestFileSources(t *testing.T) {
	dir := t.TempDir()
	schema := features.Schema{Extras: []string{"nps"}}
	rows := []features.Snapshot{
		{AccountID: "a", Week: date(t, "2024-01-01"), Logins: 3, Frequency: 2, RecencyDays: 1, Extra: []float64{7}},
		{AccountID: "a", Week: date(t, "2024-01-08"), Logins: 4, Frequency: 2, RecencyDays: 1, Extra: []float64{8}},
		{AccountID: "b", Week: date(t, "2024-01-01"), Logins: 1, RecencyDays: 9, Extra: []float64{6}},
	}
	for _, adapter := range []struct {
		ext    string
		source func(string) features.Source
		write  func(w io.Writer) error
	}{
		{".csv", csvfile.Source, func(w io.Writer) error {
			cw, err := csvfile.NewWriter(w, schema)
			if err != nil {
				return err
			}
			for i := range rows {
				if err := cw.Write(&rows[i]); err != nil {
					return err
				}
			}
			return cw.Flush()
		}},
		{".parquet", parquetfile.Source, func(w io.Writer) error {
			pw, err := parquetfile.NewWriter(w, schema)
			if err != nil {
				return err
			}
			for i := range rows {
				if err := pw.Write(&rows[i]); err != nil {
					return err
				}
			}
			return pw.Close()
		}},
	} {
		t.Run(adapter.ext, func(t *testing.T) {
			good := filepath.Join(dir, "snapshots"+adapter.ext)
			f, err := os.Create(good)
			if err != nil {
				t.Fatal(err)
			}
			if err := adapter.write(f); err != nil {
				t.Fatal(err)
			}
			f.Close()

			missing := adapter.source(filepath.Join(dir, "missing"+adapter.ext))
			if r, err := missing.Open(); !errors.Is(err, fs.ErrNotExist) || r != nil {
				t.Fatalf("Open of a missing file = %#v, %v: want a nil reader and a not-exist error", r, err)
			}
			src := adapter.source(good)
			if src.Name != good || src.NormalizeWeeks {
				t.Errorf("source %q, NormalizeWeeks %v: want the path and false", src.Name, src.NormalizeWeeks)
			}
			for pass := range 2 {
				n := 0
				err := src.Read(func(r features.SnapshotReader) error {
					if got := r.Schema().Extras; len(got) != 1 || got[0] != "nps" {
						t.Errorf("extras %v, want [nps]", got)
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
				if err != nil || n != len(rows) {
					t.Errorf("pass %d: %d rows, %v; want %d", pass, n, err, len(rows))
				}
			}
		})
	}
}

func date(t *testing.T, s string) features.Date {
	t.Helper()
	d, err := features.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
