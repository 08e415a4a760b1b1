package retention_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/retention"
	"github.com/churnlabs/churn/features/simulate"
)

// Example measures a simulated history: churn, revenue retention, cohorts
// and leading indicators. models/report draws and writes them, with the
// adoption score, as HTML, JSON and charts.
func Example() {
	ctx := context.Background()
	rows, err := simulate.Snapshots(ctx, simulate.Config{Accounts: 200, Weeks: 60, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	hist, err := retention.Read(ctx, features.MemorySource("sample", simulate.Schema(), rows))
	if err != nil {
		log.Fatal(err)
	}
	report, err := retention.Measure(ctx, hist, retention.Options{Horizon: 8})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d accounts, weeks %s to %s\n", report.Accounts, report.First, report.Last)
	for _, s := range report.Quarterly {
		if s.Segment != retention.AllAccounts {
			continue
		}
		for _, p := range s.Periods {
			if !p.Partial {
				fmt.Printf("%s: churn %.1f%%, NRR %.1f%%\n", p.Period, 100*p.ChurnRate, 100*p.Revenue.NRR)
			}
		}
	}
	best := report.Indicators.Ranked[0]
	fmt.Printf("strongest indicator: %s (lift %.2f)\n", best.Description, best.Lift)
	// Output:
	// 200 accounts, weeks 2023-01-02 to 2024-02-19
	// 2023-Q2: churn 4.6%, NRR 102.8%
	// 2023-Q3: churn 0.7%, NRR 103.1%
	// 2023-Q4: churn 3.2%, NRR 102.0%
	// strongest indicator: recency_days <= 6 in at least 50% of reported weeks of the last 8 weeks (lift 1.08)
}

// snapshots returns an account's weekly snapshots from start, churned on
// the last one when churned is set.
func snapshots(id string, start string, weeks int, churned bool, arr ...float64) []features.Snapshot {
	first, err := features.ParseDate(start)
	if err != nil {
		log.Fatal(err)
	}
	var rows []features.Snapshot
	for i := range weeks {
		rows = append(rows, features.Snapshot{
			AccountID: id, Week: first.AddDays(7 * i), ARR: arr[min(i, len(arr)-1)],
			Churned: churned && i == weeks-1, RenewalDate: features.NoDate,
		})
	}
	return rows
}

func ExampleHistory_Churn() {
	// Three customers from January; in February one expands from 100 to
	// 150 and one churns.
	var rows []features.Snapshot
	rows = append(rows, snapshots("a", "2024-01-01", 9, false, 100)...)
	rows = append(rows, snapshots("b", "2024-01-01", 9, false, 100, 100, 100, 100, 100, 150)...)
	rows = append(rows, snapshots("c", "2024-01-01", 7, true, 100)...)
	schema := features.Schema{HasChurned: true, HasARR: true}
	ctx := context.Background()
	hist, err := retention.Read(ctx, features.MemorySource("example", schema, rows))
	if err != nil {
		log.Fatal(err)
	}
	series, err := hist.Churn(ctx, retention.Monthly)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range series[0].Periods {
		fmt.Printf("%s: %d of %d churned (%.0f%%), GRR %.0f%%, NRR %.0f%%\n",
			p.Period, p.Churned, p.Accounts, 100*p.ChurnRate, 100*p.Revenue.GRR, 100*p.Revenue.NRR)
	}
	// Output:
	// 2024-02: 1 of 3 churned (33%), GRR 67%, NRR 83%
}

func ExampleWilson() {
	// 81 of 263 accounts retained.
	iv := retention.Wilson(81, 263, 0.95)
	fmt.Printf("%.4f [%.4f, %.4f]\n", iv.Estimate, iv.Lower, iv.Upper)
	// Output:
	// 0.3080 [0.2553, 0.3662]
}

func ExampleNewcombe() {
	// Retention 56/70 among accounts that meet an indicator, 48/80 among
	// those that do not.
	iv := retention.Newcombe(56, 70, 48, 80, 0.95)
	fmt.Printf("%+.4f [%+.4f, %+.4f]\n", iv.Estimate, iv.Lower, iv.Upper)
	// Output:
	// +0.2000 [+0.0524, +0.3339]
}

func ExampleIndicator_String() {
	ind := retention.Indicator{Column: "active_users_per_seat", Op: retention.AtLeast, Threshold: 0.6, Days: 28, Percent: 75}
	fmt.Println(ind)
	// Output:
	// active_users_per_seat >= 0.6 in at least 75% of reported weeks of the last 4 weeks
}

func ExampleReadTreatment() {
	file := `account_id,group,week
acct-001,treated,2024-03-04
acct-002,control,
`
	as, err := retention.ReadTreatment(strings.NewReader(file), "contacts.csv")
	if err != nil {
		log.Fatal(err)
	}
	for _, a := range as {
		fmt.Printf("line %d: %s treated=%t week=%q\n", a.Row, a.AccountID, a.Treated, a.Week)
	}
	_, err = retention.ReadTreatment(strings.NewReader("account_id,group\nacct-003,contacted\n"), "contacts.csv")
	fmt.Println(err)
	// Output:
	// line 2: acct-001 treated=true week="2024-03-04"
	// line 3: acct-002 treated=false week=""
	// contacts.csv: row 2: column "group": group "contacted": want treated or control
}
