package events_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
)

// collect keeps the snapshots written, as text: every row in order, and
// by account and week.
type collect struct {
	rows      []string
	byAccount map[string]map[string]string
	arr       map[string]string
}

func (c *collect) Write(s *features.Snapshot) error {
	if c.byAccount == nil {
		c.byAccount = map[string]map[string]string{}
	}
	fields := []string{
		strconv.FormatInt(s.Logins, 10), strconv.FormatInt(s.Frequency, 10),
		strconv.FormatInt(s.RecencyDays, 10), strconv.FormatInt(s.SLABreaches, 10),
		strconv.FormatInt(s.OverdueInvoices, 10), strconv.FormatBool(s.Churned),
	}
	for _, x := range s.Extra {
		fields = append(fields, strconv.FormatFloat(x, 'g', -1, 64))
	}
	line := strings.Join(fields, " ")
	if c.byAccount[s.AccountID] == nil {
		c.byAccount[s.AccountID] = map[string]string{}
	}
	c.byAccount[s.AccountID][s.Week.String()] = line
	extra := fmt.Sprintf(" arr=%v segment=%s renewal=%s", s.ARR, s.Segment, s.RenewalDate)
	c.rows = append(c.rows, s.AccountID+" "+s.Week.String()+" "+line+extra)
	return nil
}

// write creates a file under dir and returns its path.
func write(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
