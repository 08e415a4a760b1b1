package parquetfile

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/csvfile"
	"github.com/parquet-go/parquet-go"
)

// TestReadRenewalTypeSpellings checks that a renewal_type string column
// reads in the spellings features.ParseRenewalType knows, and a null or an
// empty string as unknown.
func TestReadRenewalTypeSpellings(t *testing.T) {
	valid := validColumns()
	tests := []struct {
		col  column
		want string
	}{
		{column{"renewal_type", parquet.String(), strs("Evergreen", "MANUAL", "")}, "auto,signature,"},
		{column{"renewal_type", parquet.Optional(parquet.String()), withNull(strs("x", "auto_renew", "NA"), 0)}, ",auto,"},
	}
	for _, tt := range tests {
		data := writeColumns(t, append(valid, tt.col)...)
		if s := newTestReader(t, data).Schema(); !s.HasRenewalType {
			t.Fatalf("Schema() = %+v, want HasRenewalType", s)
		}
		var got []string
		for _, s := range readAll(t, data) {
			got = append(got, s.RenewalType)
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("renewal types %q, want %s", got, tt.want)
		}
	}
}

// TestRenewalTypeCSVParquetRoundTrip converts a CSV snapshot file with a
// renewal_type column to Parquet and back: the column, and every
// account's type, survive both ways.
func TestRenewalTypeCSVParquetRoundTrip(t *testing.T) {
	in := "account_id,week,logins,frequency,recency_days,sla_breaches,overdue_invoices,renewal_date,renewal_type,seats\n" +
		"a,2024-01-01,1,2,3,4,5,2024-06-03,Auto-Renew,3\n" +
		"b,2024-01-01,1,2,3,4,5,2024-06-03,signature,4\n" +
		"c,2024-01-01,1,2,3,4,5,,,\n"
	// The CSV the writers give back: the spellings in their canonical form.
	want := strings.NewReplacer("Auto-Renew", "auto").Replace(in)

	cr, err := csvfile.NewReader(strings.NewReader(in), "in.csv")
	if err != nil {
		t.Fatal(err)
	}
	var pq bytes.Buffer
	pw, err := NewWriter(&pq, cr.Schema())
	if err != nil {
		t.Fatal(err)
	}
	copySnapshots(t, cr, pw.Write)
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}

	pr := newTestReader(t, pq.Bytes())
	if s := pr.Schema(); !s.HasRenewalType || !s.HasRenewal || len(s.Extras) != 1 {
		t.Fatalf("Parquet schema %+v lost a column", s)
	}
	var out bytes.Buffer
	cw, err := csvfile.NewWriter(&out, pr.Schema())
	if err != nil {
		t.Fatal(err)
	}
	copySnapshots(t, pr, cw.Write)
	if err := cw.Flush(); err != nil {
		t.Fatal(err)
	}
	if out.String() != want {
		t.Errorf("CSV -> Parquet -> CSV gave\n%s\nwant\n%s", out.String(), want)
	}
}

func copySnapshots(t *testing.T, r features.SnapshotReader, write func(*features.Snapshot) error) {
	t.Helper()
	var s features.Snapshot
	for {
		err := r.Next(&s)
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := write(&s); err != nil {
			t.Fatal(err)
		}
	}
}
