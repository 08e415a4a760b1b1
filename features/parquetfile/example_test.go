package parquetfile_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"math"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/parquetfile"
	"github.com/parquet-go/parquet-go"
)

func Example() {
	week, _ := features.ParseDate("2024-01-01")
	schema := features.Schema{HasARR: true, HasSegment: true, Extras: []string{"nps"}}

	var file bytes.Buffer
	w, err := parquetfile.NewWriter(&file, schema)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range []features.Snapshot{
		{AccountID: "acme", Week: week, Logins: 14, Frequency: 6, ARR: 24000, Segment: "mid", Extra: []float64{40}},
		{AccountID: "globex", Week: week, Logins: 2, RecencyDays: 9, ARR: math.NaN(), Extra: []float64{math.NaN()}},
	} {
		if err := w.Write(&s); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	r, err := parquetfile.NewReader(bytes.NewReader(file.Bytes()), int64(file.Len()), "snapshots.parquet")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	fmt.Println("extras:", r.Schema().Extras)
	var s features.Snapshot
	for {
		err := r.Next(&s)
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("row %d: %s %s logins=%d arr=%v segment=%q nps=%v\n",
			s.Row, s.AccountID, s.Week, s.Logins, s.ARR, s.Segment, s.Extra[0])
	}
	// Output:
	// extras: [nps]
	// row 1: acme 2024-01-01 logins=14 arr=24000 segment="mid" nps=40
	// row 2: globex 2024-01-01 logins=2 arr=NaN segment="" nps=NaN
}

// Files from other tools may store dates as strings and counts as any
// integer type; a bad value is an *features.InputError that locates it.
func ExampleReader_Next_inputError() {
	type row struct {
		AccountID       string `parquet:"account_id"`
		Week            string `parquet:"week"`
		Logins          int32  `parquet:"logins"`
		Frequency       int32  `parquet:"frequency"`
		RecencyDays     int32  `parquet:"recency_days"`
		SLABreaches     int32  `parquet:"sla_breaches"`
		OverdueInvoices int32  `parquet:"overdue_invoices"`
		Notes           string `parquet:"notes"`
	}
	var file bytes.Buffer
	err := parquet.Write(&file, []row{
		{AccountID: "acme", Week: "2024-01-01", Logins: 3, Notes: "renewal call booked"},
		{AccountID: "acme", Week: "2024-01-08", Logins: -2},
	})
	if err != nil {
		log.Fatal(err)
	}

	r, err := parquetfile.NewReader(bytes.NewReader(file.Bytes()), int64(file.Len()), "snapshots.parquet")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	fmt.Println("ignored:", r.Ignored())
	var s features.Snapshot
	for {
		err := r.Next(&s)
		if err == io.EOF {
			break
		}
		var ie *features.InputError
		if errors.As(err, &ie) {
			fmt.Println(err)
			fmt.Println(ie.Row, ie.Column, errors.Is(err, features.ErrNegativeCount))
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(s.AccountID, s.Week, s.Logins)
	}
	// Output:
	// ignored: [notes]
	// acme 2024-01-01 3
	// snapshots.parquet: row 2: column "logins": negative count: -2
	// 2 logins true
}

func ExampleWriteDataset() {
	week, _ := features.ParseDate("2024-01-01")
	ds := &features.Dataset{Features: []string{"logins_4w", "arr"}}
	ds.Append("acme", week, []float64{12.5, 24000})
	ds.Append("globex", week, []float64{0.25, math.NaN()})
	ds.Label = []float64{0, 1}

	var file bytes.Buffer
	if err := parquetfile.WriteDataset(&file, ds); err != nil {
		log.Fatal(err)
	}
	got, err := parquetfile.ReadDataset(bytes.NewReader(file.Bytes()), int64(file.Len()), "train.parquet")
	if err != nil {
		log.Fatal(err)
	}
	for i := range got.Len() {
		fmt.Println(got.AccountID[i], got.Week[i], got.Row(i), got.Label[i])
	}
	// Output:
	// acme 2024-01-01 [12.5 24000] 0
	// globex 2024-01-01 [0.25 NaN] 1
}
