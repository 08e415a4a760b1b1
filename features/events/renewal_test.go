package events_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/events"
)

// typeRows keeps each snapshot's account, week and renewal type.
type typeRows []string

func (c *typeRows) Write(s *features.Snapshot) error {
	*c = append(*c, s.AccountID+" "+s.Week.String()+" "+s.RenewalType)
	return nil
}

const renewalMapping = `
sources:
  - path: events.csv
    account: account_id
    time: at
accounts:
  path: accounts.csv
  account: account_id
  effective_from: from
  renewal_type: contract
`

// TestAccountsRenewalType maps an accounts table's renewal type: it is
// read in its spellings, as of each week like the other attributes, and
// a spelling no one knows names the file, row and column.
func TestAccountsRenewalType(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "events.csv", "account_id,at\nacme,2025-01-06\nacme,2025-01-13\nbeta,2025-01-06\ngamma,2025-01-06\n")
	write(t, dir, "accounts.csv", "account_id,from,contract\nacme,2024-06-01,Auto-Renew\nacme,2025-01-15,manual\nbeta,2024-06-01,\n")
	m, err := events.ParseMapping([]byte(renewalMapping), dir)
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Schema(); !s.HasRenewalType || s.HasSegment || s.HasRenewal {
		t.Errorf("schema %+v, want a renewal_type column alone", s)
	}
	var got typeRows
	if _, err := events.Build(context.Background(), m, events.Options{Until: day(t, "2025-01-19")}, &got); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"acme 2025-01-06 auto",
		"acme 2025-01-13 signature", // the change of 01-15 holds by Sunday 01-19
		"beta 2025-01-06 ",
		"beta 2025-01-13 ",
		"gamma 2025-01-06 ",
		"gamma 2025-01-13 ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	write(t, dir, "accounts.csv", "account_id,from,contract\nacme,2024-06-01,auto\nbeta,2024-06-01,yearly\n")
	_, err = events.Build(context.Background(), m, events.Options{Until: day(t, "2025-01-19")}, new(typeRows))
	var ie *features.InputError
	if !errors.As(err, &ie) || !strings.HasSuffix(ie.File, "accounts.csv") || ie.Row != 3 || ie.Column != "contract" ||
		!errors.Is(err, features.ErrRenewalType) {
		t.Errorf("a bad renewal type: %v, want an input error at accounts.csv row 3, column contract", err)
	}

	sql, err := events.SQL(m, "duckdb", features.NoDate)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sql, "AS rtype") || !strings.Contains(sql, `v.rtype AS "renewal_type"`) {
		t.Errorf("SQL does not carry the renewal type:\n%s", sql)
	}
}
