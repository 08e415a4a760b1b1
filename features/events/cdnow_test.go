package events_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/churnlabs/churn/features/events"
)

// cdnowPath finds the project's shared real data: ../shared from the
// repository's root, or from the main checkout's parent when the tests
// run in a git worktree beside it.
func cdnowPath(t *testing.T) string {
	_, here, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(here), "..", "..")
	for _, shared := range []string{
		filepath.Join(root, "..", "shared"),
		filepath.Join(root, "..", "..", "shared"),
	} {
		p := filepath.Join(shared, "data", "real", "cdnow", "CDNOW_master.txt")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("CDNOW data not found: ../shared/data/real/cdnow/CDNOW_master.txt is absent (the project's shared data is not checked out beside it)")
	return ""
}

// TestCDNOW rolls the real CDNOW purchase log up with a 90-day silence
// rule and checks two customers' weeks, worked out by hand from the file:
//
//	00003 19970102 2 20.76   Thu, week of 1996-12-30
//	00003 19970330 2 20.76   Sun, week of 1997-03-24 (87 days later: no churn)
//	00003 19970402 2 19.54   Wed, week of 1997-03-31
//	00003 19971115 ...       227 days later: churn at 04-02 + 90 = 1997-07-01,
//	                         week of 1997-06-30; later purchases left out
//	00004 19970101 2 29.33   Wed, week of 1996-12-30
//	00004 19970118 2 29.73   Sat, week of 1997-01-13
//	00004 19970802 ...       196 days later: churn at 01-18 + 90 = 1997-04-18,
//	                         week of 1997-04-14
func TestCDNOW(t *testing.T) {
	path := cdnowPath(t)
	m := &events.Mapping{
		ChurnAfterSilence: "90d",
		Sources: []events.Source{{
			Path: path, Account: "customer_id", Time: "date", TimeFormat: "20060102",
			Sum: []events.Signal{{Column: "dollar_value"}, {Column: "number_of_cds"}},
		}},
	}
	var got collect
	rep, err := events.Build(context.Background(), m, events.Options{}, &got)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 69659 || rep.Accounts != 23570 {
		t.Errorf("read %d rows of %d accounts, want 69659 rows of 23570 customers (the data's README)", rep.Rows, rep.Accounts)
	}
	// The file ends on Tuesday 1998-06-30: the last complete week starts
	// on 1998-06-22.
	if rep.First.String() != "1996-12-30" || rep.Last.String() != "1998-06-22" {
		t.Errorf("weeks %s to %s, want 1996-12-30 to 1998-06-22", rep.First, rep.Last)
	}
	// account,week,logins,frequency,recency,sla,overdue,churned,dollars,cds
	for _, tc := range []struct {
		account string
		weeks   int
		rows    map[string]string
	}{
		{"00003", 27, map[string]string{
			"1996-12-30": "1 1 3 0 0 false 20.76 2",
			"1997-01-06": "0 0 10 0 0 false 0 0",
			"1997-03-17": "0 0 80 0 0 false 0 0",
			"1997-03-24": "1 1 0 0 0 false 20.76 2",
			"1997-03-31": "1 1 4 0 0 false 19.54 2",
			"1997-06-30": "0 0 95 0 0 true 0 0",
		}},
		{"00004", 16, map[string]string{
			"1996-12-30": "1 1 4 0 0 false 29.33 2",
			"1997-01-06": "0 0 11 0 0 false 0 0",
			"1997-01-13": "1 1 1 0 0 false 29.73 2",
			"1997-04-14": "0 0 92 0 0 true 0 0",
		}},
	} {
		weeks := got.byAccount[tc.account]
		if len(weeks) != tc.weeks {
			t.Errorf("%s: %d weeks, want %d", tc.account, len(weeks), tc.weeks)
		}
		for week, want := range tc.rows {
			if g := weeks[week]; g != want {
				t.Errorf("%s week %s: got %q, want %q", tc.account, week, g, want)
			}
		}
	}
}
