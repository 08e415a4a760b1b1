package retention

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
)

// upliftBook has 30 weeks, w0 to w29; with a 12-week horizon the default
// contact week is w17. Treated: T00-T79 stay to w29, T80-T98 churn at w20,
// and P, contacted at w5, churns at w12: 80 of 100 retained. Control:
// C00-C59 stay, C60-C99 churn at w25: 60 of 100. The file also lists an
// account not in the snapshots (X), one that churned before contact (I1),
// one that signed up after it (I2) and one contacted too late for its
// outcome to show (K).
func upliftBook(t *testing.T) (*History, string) {
	var parts [][]features.Snapshot
	var file strings.Builder
	file.WriteString("group,account_id,week\n")
	add := func(id, group string, from, to int, churned bool, contact string) {
		parts = append(parts, weekly(id, "", from, to, churned, math.NaN()))
		fmt.Fprintf(&file, "%s,%s,%s\n", group, id, contact)
	}
	for i := range 99 {
		last, churned := 29, false
		if i >= 80 {
			last, churned = 20, true
		}
		add(fmt.Sprintf("T%02d", i), "treated", 0, last, churned, "")
	}
	add("P", "Treated", 0, 12, true, week(5).String())
	for i := range 100 {
		last, churned := 29, false
		if i >= 60 {
			last, churned = 25, true
		}
		add(fmt.Sprintf("C%02d", i), "control", 0, last, churned, "")
	}
	add("I1", "treated", 0, 10, true, "")
	add("I2", "control", 20, 29, false, "")
	add("K", "control", 0, 29, false, week(25).String())
	file.WriteString("treated,X,\n")
	return readRows(t, features.Schema{HasChurned: true}, concat(parts...)), file.String()
}

func TestUplift(t *testing.T) {
	b, file := upliftBook(t)
	as, err := ReadTreatment(strings.NewReader(file), "contacts.csv")
	if err != nil {
		t.Fatal(err)
	}
	u, err := b.Uplift(as, UpliftOptions{Horizon: 12})
	if err != nil {
		t.Fatal(err)
	}
	if u.DefaultWeek != week(17) {
		t.Errorf("default contact week %s, want %s", u.DefaultWeek, week(17))
	}
	if u.Treated.Rows != 100 || u.Treated.Retained != 80 || u.Control.Rows != 100 || u.Control.Retained != 60 {
		t.Errorf("treated %d/%d, control %d/%d; want 80/100 and 60/100",
			u.Treated.Retained, u.Treated.Rows, u.Control.Retained, u.Control.Rows)
	}
	if u.Unknown != 1 || u.Inactive != 2 || u.Censored != 1 {
		t.Errorf("left out %d unknown, %d inactive, %d censored; want 1, 2, 1", u.Unknown, u.Inactive, u.Censored)
	}
	want := Newcombe(80, 100, 60, 100, 0.95)
	if u.Difference != want || !near(u.Difference.Estimate, 0.2) || !u.Difference.Contains(0.2) || u.Difference.Lower <= 0 {
		t.Errorf("difference %+v, want %+v around the true 0.2, excluding 0", u.Difference, want)
	}
	if u.Warning != "" {
		t.Errorf("warning %q for groups of 100", u.Warning)
	}
}

func TestUpliftSmallGroups(t *testing.T) {
	b, _ := upliftBook(t)
	as := []Assignment{
		{AccountID: "T00", Treated: true, Week: features.NoDate},
		{AccountID: "T90", Treated: true, Week: features.NoDate},
		{AccountID: "C00", Week: features.NoDate},
		{AccountID: "C70", Week: features.NoDate},
	}
	u, err := b.Uplift(as, UpliftOptions{Horizon: 12, Confidence: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(u.Warning, "small groups (2 treated, 2 control accounts") {
		t.Errorf("warning %q", u.Warning)
	}
	if u.Difference.Estimate != 0 || u.Difference.Lower > -0.5 || u.Difference.Upper < 0.5 {
		t.Errorf("difference %+v, want 0 with a wide interval", u.Difference)
	}
}

func TestUpliftEmptyGroup(t *testing.T) {
	b, _ := upliftBook(t)
	_, err := b.Uplift([]Assignment{{AccountID: "T00", Treated: true, Week: features.NoDate}, {AccountID: "X", Week: features.NoDate}}, UpliftOptions{Horizon: 12})
	if err == nil || !strings.Contains(err.Error(), "1 treated and 0 control") {
		t.Errorf("error %v, want one naming the empty control group", err)
	}
}

func TestReadTreatment(t *testing.T) {
	as, err := ReadTreatment(strings.NewReader("\ufeffaccount_id, group \n a1 ,TREATED\n\"a,2\",control\n"), "t.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []Assignment{
		{AccountID: "a1", Treated: true, Week: features.NoDate, Row: 2},
		{AccountID: "a,2", Week: features.NoDate, Row: 3},
	}
	if !slices.Equal(as, want) {
		t.Errorf("assignments %+v, want %+v", as, want)
	}
}

func TestReadTreatmentErrors(t *testing.T) {
	for _, c := range []struct {
		name, file string
		row        int
		column     string
		msg        string
	}{
		{"empty", "", 0, "", "empty file"},
		{"header only", "account_id,group\n", 0, "", "no accounts"},
		{"no group column", "account_id,week\na,2024-01-01\n", 1, "group", "missing column"},
		{"unknown column", "account_id,group,segment\n", 1, "segment", "unknown column"},
		{"column twice", "account_id,group,group\n", 1, "group", "appears twice"},
		{"bad group", "account_id,group\na,treated\nb,treatment\n", 3, "group", `group "treatment": want treated or control`},
		{"bad week", "account_id,group,week\na,treated,2024-02-30\n", 2, "week", "not a valid"},
		{"empty id", "account_id,group\n ,control\n", 2, "account_id", "empty account id"},
		{"listed twice", "account_id,group\na,treated\nb,control\na,control\n", 4, "account_id", `"a" is listed twice (first on line 2)`},
		{"short row", "account_id,group\na,treated\nb\n", 3, "", "1 fields, want 2"},
		{"bad quote", "account_id,group\na,treated\n\"b,control\n", 3, "", "quote"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadTreatment(strings.NewReader(c.file), "t.csv")
			var ie *features.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v, want an InputError", err)
			}
			if ie.File != "t.csv" || ie.Row != c.row || ie.Column != c.column || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q (row %d, column %q), want row %d, column %q, saying %q", err, ie.Row, ie.Column, c.row, c.column, c.msg)
			}
		})
	}
}

func FuzzReadTreatment(f *testing.F) {
	for _, s := range []string{
		"account_id,group,week\na,treated,2024-01-01\nb,control,\n",
		"group,account_id\ncontrol,x\n",
		"account_id,group\n\"a\"\"b\",treated\n",
		"account_id,group\na,treated\na,control\n",
		"\ufeffaccount_id,group\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		as, err := ReadTreatment(bytes.NewReader(data), "f.csv")
		if err != nil {
			var ie *features.InputError
			if !errors.As(err, &ie) || ie.File != "f.csv" {
				t.Fatalf("error %v is not an InputError about f.csv", err)
			}
			return
		}
		if len(as) == 0 {
			t.Fatal("no assignments and no error")
		}
		seen := map[string]bool{}
		for i, a := range as {
			if a.AccountID == "" || seen[a.AccountID] || a.Row < 2 || i > 0 && a.Row <= as[i-1].Row {
				t.Fatalf("assignment %d %+v: empty, repeated or out of order", i, a)
			}
			seen[a.AccountID] = true
		}
	})
}
