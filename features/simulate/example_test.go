package simulate_test

import (
	"context"
	"fmt"
	"log"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/simulate"
)

// printer is a Writer that prints some columns of each snapshot.
type printer struct{}

func (printer) Write(s *features.Snapshot) error {
	fmt.Printf("%s %s %-10s %6d %5d %3d %11.2f %s %4v/%v %t\n",
		s.AccountID, s.Week, s.Segment, s.Logins, s.Frequency, s.RecencyDays,
		s.ARR, s.RenewalDate, s.Extra[1], s.Extra[0], s.Churned)
	return nil
}

func ExampleRun() {
	cfg := simulate.Config{Accounts: 4, Weeks: 2, Seed: 7}
	fmt.Println("account    week       segment    logins acts rec         arr renewal    active/seats churned")
	if err := simulate.Run(context.Background(), cfg, printer{}, nil); err != nil {
		log.Fatal(err)
	}
	// Output:
	// account    week       segment    logins acts rec         arr renewal    active/seats churned
	// acct-00001 2023-01-02 smb            18     0   8    15868.10 2023-01-06    6/11 false
	// acct-00002 2023-01-02 mid           140    20   0    81900.40 2023-08-20   54/78 false
	// acct-00003 2023-01-02 mid           101    34   0    88649.65 2023-02-04   50/69 false
	// acct-00001 2023-01-09 smb            13     1   4    15868.10 2023-02-06    5/11 false
	// acct-00002 2023-01-09 mid           384    69   0    81900.40 2023-08-20   73/78 false
	// acct-00003 2023-01-09 mid           123    45   0    88649.65 2023-02-04   54/69 false
	// acct-00004 2023-01-09 smb             9     0   0     8790.75 2024-01-15    4/7 false
}

func ExampleSchema() {
	fmt.Println(simulate.Schema().Columns())
	// Output:
	// [account_id week logins frequency recency_days sla_breaches overdue_invoices churned arr segment renewal_date renewal_type seats active_users]
}
