package csvfile_test

import (
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"strings"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/csvfile"
)

func ExampleReader() {
	const in = `account_id,week,logins,frequency,recency_days,sla_breaches,overdue_invoices,churned,plan,nps
acme,2024-01-01,12,30,1,0,0,0,pro,8
acme,2024-01-08 00:00:00,9.0,21,2,1,0,1,pro,
globex,2024-01-01,3,2,14,0,1,,basic,-2
`
	r, err := csvfile.NewReader(strings.NewReader(in), "snapshots.csv")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("extras %q, ignored %q\n", r.Schema().Extras, r.Ignored())
	var s features.Snapshot
	for {
		err := r.Next(&s)
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("row %d: %s %s logins=%d churned=%t nps=%v\n", s.Row, s.AccountID, s.Week, s.Logins, s.Churned, s.Extra[0])
	}
	// Output:
	// extras ["nps"], ignored ["plan"]
	// row 2: acme 2024-01-01 logins=12 churned=false nps=8
	// row 3: acme 2024-01-08 logins=9 churned=true nps=NaN
	// row 4: globex 2024-01-01 logins=3 churned=false nps=-2
}

func ExampleReader_errors() {
	const in = `account_id,week,logins,frequency,recency_days,sla_breaches,overdue_invoices
acme,2024-01-01,12,30,1,0,0
acme,2024-01-08,-3,21,2,1,0
`
	r, err := csvfile.NewReader(strings.NewReader(in), "snapshots.csv")
	if err != nil {
		log.Fatal(err)
	}
	var s features.Snapshot
	for err == nil {
		err = r.Next(&s)
	}
	fmt.Println(err)
	// Output:
	// snapshots.csv: row 3: column "logins": negative count: -3
}

func ExampleWriter() {
	schema := features.Schema{HasARR: true, Extras: []string{"nps"}}
	w, err := csvfile.NewWriter(os.Stdout, schema)
	if err != nil {
		log.Fatal(err)
	}
	week, _ := features.ParseDate("2024-01-01")
	snaps := []features.Snapshot{
		{AccountID: "acme", Week: week, Logins: 12, Frequency: 30, RecencyDays: 1, ARR: 120000, Extra: []float64{8}},
		{AccountID: "globex, inc.", Week: week, Logins: 3, Frequency: 2, RecencyDays: 14, ARR: math.NaN(), Extra: []float64{math.NaN()}},
	}
	for i := range snaps {
		if err := w.Write(&snaps[i]); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// account_id,week,logins,frequency,recency_days,sla_breaches,overdue_invoices,arr,nps
	// acme,2024-01-01,12,30,1,0,0,120000,8
	// "globex, inc.",2024-01-01,3,2,14,0,0,,
}

func ExampleWriteDataset() {
	week, _ := features.ParseDate("2024-01-01")
	ds := &features.Dataset{Features: []string{"logins_4w", "arr"}, Label: []float64{}}
	ds.Append("acme", week, []float64{41.5, 120000})
	ds.Label = append(ds.Label, 0)
	ds.Append("globex", week, []float64{3, math.NaN()})
	ds.Label = append(ds.Label, 1)

	var b strings.Builder
	if err := csvfile.WriteDataset(&b, ds); err != nil {
		log.Fatal(err)
	}
	fmt.Print(b.String())

	back, err := csvfile.ReadDataset(strings.NewReader(b.String()), "train.csv")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.Features, back.AccountID, back.X, back.Label)
	// Output:
	// account_id,week,logins_4w,arr,label
	// acme,2024-01-01,41.5,120000,0
	// globex,2024-01-01,3,,1
	// [logins_4w arr] [acme globex] [41.5 120000 3 NaN] [0 1]
}
