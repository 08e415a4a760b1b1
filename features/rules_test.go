package features

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// fixedNow is a clock for tests: 2025-06-04, a Wednesday.
func fixedNow() time.Time { return time.Date(2025, 6, 4, 12, 0, 0, 0, time.UTC) }

func day(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestRowRules breaks one rule of a row at a time and checks that Build
// and Inspect both report it, naming the row and column.
func TestRowRules(t *testing.T) {
	long := strings.Repeat("x", MaxNameBytes+1)
	for _, c := range []struct {
		name string
		set  func(s *Snapshot)
		want string
	}{
		{"week not a Monday", func(s *Snapshot) { s.Week = day("2024-01-10") },
			`mem.csv: row 3: column "week": 2024-01-10 is a Wednesday: a week is given by the Monday that starts it (2024-01-08)`},
		{"invalid UTF-8 id", func(s *Snapshot) { s.AccountID = "a\xff" },
			`mem.csv: row 3: column "account_id": account id "a\xff" is not valid UTF-8`},
		{"NUL in id", func(s *Snapshot) { s.AccountID = "a\x00b" },
			`mem.csv: row 3: column "account_id": account id "a\x00b" holds the control character U+0000 at byte 1`},
		{"tab in id", func(s *Snapshot) { s.AccountID = "a\tb" },
			`mem.csv: row 3: column "account_id": account id "a\tb" holds the control character U+0009 at byte 1`},
		{"leading space", func(s *Snapshot) { s.AccountID = " a" },
			`mem.csv: row 3: column "account_id": account id " a" starts with white space`},
		{"trailing space", func(s *Snapshot) { s.AccountID = "a\u00a0" },
			`mem.csv: row 3: column "account_id": account id "a\u00a0" ends with white space`},
		{"long id", func(s *Snapshot) { s.AccountID = long },
			`mem.csv: row 3: column "account_id": account id is 257 bytes long, more than the 256 allowed`},
		{"long segment", func(s *Snapshot) { s.Segment = long },
			`mem.csv: row 3: column "segment": segment is 257 bytes long, more than the 256 allowed`},
		{"control in segment", func(s *Snapshot) { s.Segment = "smb\n" },
			`mem.csv: row 3: column "segment": segment "smb\n" holds the control character U+000A at byte 3`},
		{"unparsed renewal type", func(s *Snapshot) { s.RenewalType = "Auto" },
			`mem.csv: row 3: column "renewal_type": unknown renewal type "Auto"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			rows := numberRows(weekly("a", monday, 3))
			c.set(&rows[1])
			src := memSource(testSchema, rows)
			_, err := Build(context.Background(), src, BuildOptions{Now: fixedNow})
			var ie *InputError
			if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("Build: %v\nwant %s", err, c.want)
			}
			err = src.Read(func(r SnapshotReader) error {
				_, err := Inspect(context.Background(), r, src.Name, InspectOptions{Now: fixedNow})
				return err
			})
			if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("Inspect: %v\nwant %s", err, c.want)
			}
		})
	}
}

// TestNormalizeWeeks moves dates to their Monday: two dates in one week
// are then a duplicate, and dates in different weeks stay apart.
func TestNormalizeWeeks(t *testing.T) {
	for _, c := range []struct {
		name  string
		weeks []string
		want  []Date // the table's weeks; nil for a duplicate
	}{
		{"same week", []string{"2023-01-02", "2023-01-03"}, nil},
		{"same week, neither a Monday", []string{"2023-01-04", "2023-01-08"}, nil},
		{"next week", []string{"2023-01-03", "2023-01-09"}, []Date{day("2023-01-02"), day("2023-01-09")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rows := weekly("a", 0, len(c.weeks))
			for i, w := range c.weeks {
				rows[i].Week = day(w)
			}
			src := memSource(testSchema, numberRows(rows))
			src.NormalizeWeeks = true
			tab, err := Build(context.Background(), src, BuildOptions{Now: fixedNow})
			var rep *Report
			if ierr := src.Read(func(r SnapshotReader) (err error) {
				rep, err = Inspect(context.Background(), r, src.Name, InspectOptions{Now: fixedNow})
				return err
			}); ierr != nil {
				t.Fatal(ierr)
			}
			if c.want == nil {
				if err == nil || !strings.Contains(err.Error(), "duplicate snapshot") {
					t.Errorf("Build: %v, want a duplicate", err)
				}
				if rep.DuplicateCount != 1 || rep.Errors() != 1 {
					t.Errorf("Inspect: %d duplicates, %d errors; want 1", rep.DuplicateCount, rep.Errors())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range c.want {
				if tab.Week(i) != w {
					t.Errorf("row %d: week %s, want %s", i, tab.Week(i), w)
				}
			}
			if rep.Errors() != 0 {
				t.Errorf("Inspect: %d errors", rep.Errors())
			}
		})
	}
}

func TestMonday(t *testing.T) {
	start := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 800 {
		tm := start.AddDate(0, 0, i)
		d := DateOf(tm)
		if d.Weekday() != tm.Weekday() {
			t.Fatalf("%s: Weekday %s, want %s", d, d.Weekday(), tm.Weekday())
		}
		m := d.Monday()
		if m.Weekday() != time.Monday || m > d || d-m > 6 {
			t.Fatalf("%s: Monday %s", d, m)
		}
	}
}

// TestFutureWeek puts a mistyped year in the file: Build rejects it,
// naming the row, and Inspect counts it as an error.
func TestFutureWeek(t *testing.T) {
	rows := numberRows(weekly("a", monday, 3))
	rows[2].Week = day("2099-01-05")
	src := memSource(testSchema, rows)
	_, err := Build(context.Background(), src, BuildOptions{Now: fixedNow})
	want := `mem.csv: row 4: column "week": week 2099-01-05 is in the future (today is 2025-06-04)`
	if err == nil || err.Error() != want {
		t.Errorf("Build: %v\nwant %s", err, want)
	}
	rep := inspect(t, src)
	if rep.FutureCount != 1 || len(rep.Future) != 1 || rep.Future[0].Row != 4 || rep.Errors() != 1 {
		t.Errorf("Inspect: %+v", rep)
	}
	var b strings.Builder
	rep.WriteText(&b)
	if !strings.Contains(b.String(), `account "a" row 4: week 2099-01-05 has not started`) {
		t.Errorf("report:\n%s", b.String())
	}

	// This week's Monday is not the future, wherever the producer is.
	src = memSource(testSchema, numberRows(weekly("a", day("2025-05-19"), 3)))
	if _, err := Build(context.Background(), src, BuildOptions{Now: fixedNow}); err != nil {
		t.Errorf("this week: %v", err)
	}
}

// TestStrayWeeks puts a mistyped year, still in the past, a long way
// after the rest of the file.
func TestStrayWeeks(t *testing.T) {
	rows := append(weekly("a", monday-7*200, 30), weekly("b", monday-7*200, 30)...)
	rows[40].Week = day("2025-05-26") // b's 11th week, years after the rest
	rows[41].Week = day("2025-06-02")
	rep := inspect(t, memSource(testSchema, numberRows(rows)))
	if rep.StrayCount != 2 || len(rep.Stray) != 2 || rep.Stray[0].Row != 42 || rep.Stray[1].Row != 43 || rep.Errors() != 2 {
		t.Errorf("Inspect: %d stray %+v, %d errors", rep.StrayCount, rep.Stray, rep.Errors())
	}
	// Build refuses it too, naming a stray row: features, train and score
	// would otherwise work "as of" the stray week, with every other row
	// old and every renewal in the past.
	_, err := Build(context.Background(), memSource(testSchema, numberRows(rows)), BuildOptions{Now: fixedNow})
	want := `mem.csv: row 43: column "week": week 2025-06-02 is more than a year after the rest of the file (which ends 2020-09-21): a mistyped year?`
	if err == nil || err.Error() != want {
		t.Errorf("Build: %v\nwant %s", err, want)
	}

	// A file that starts small and grows after a long pause is not stray.
	rows = append(weekly("a", monday-7*200, 3), weekly("b", monday-7*100, 30)...)
	if rep := inspect(t, memSource(testSchema, numberRows(rows))); rep.StrayCount != 0 {
		t.Errorf("growth after a pause: %+v", rep.Stray)
	}
	if _, err := Build(context.Background(), memSource(testSchema, numberRows(rows)), BuildOptions{Now: fixedNow}); err != nil {
		t.Errorf("Build, growth after a pause: %v", err)
	}
}

func TestInspectNoRows(t *testing.T) {
	src := memSource(testSchema, nil)
	err := src.Read(func(r SnapshotReader) error {
		_, err := Inspect(context.Background(), r, src.Name, InspectOptions{})
		return err
	})
	if err == nil || err.Error() != "mem.csv: the file has a header but no rows" {
		t.Errorf("err = %v", err)
	}
}

// TestUnknownSegments scores with a spec that lacks a segment: the table
// says which, and for how many accounts.
func TestUnknownSegments(t *testing.T) {
	rows := append(weekly("a", monday, 3), weekly("b", monday, 3)...)
	rows = append(rows, weekly("c", monday, 3)...)
	for i := 3; i < 9; i++ {
		rows[i].Segment = "enterprise"
	}
	spec := Spec{ARR: true, Renewal: true, Segments: []string{"smb"}, Extras: []string{"seats"}}
	tab, err := Build(context.Background(), memSource(testSchema, numberRows(rows)), BuildOptions{Spec: &spec, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if want := []SegmentCount{{"enterprise", 2}}; len(tab.UnknownSegments) != 1 || tab.UnknownSegments[0] != want[0] {
		t.Errorf("UnknownSegments = %v, want %v", tab.UnknownSegments, want)
	}
}

func TestIsMissing(t *testing.T) {
	for _, s := range []string{"", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "<NA>", "#N/A"} {
		if !IsMissing(s) {
			t.Errorf("IsMissing(%q) = false", s)
		}
	}
	// Every spelling, whatever fast path IsMissing takes before the map.
	for s := range missingSpellings {
		if !IsMissing(s) {
			t.Errorf("IsMissing(%q) = false", s)
		}
	}
	for _, s := range []string{"0", "na ", "none", "-", "Inf", "1e3", "N/A2", "12345.67", "1", "-1.5"} {
		if IsMissing(s) {
			t.Errorf("IsMissing(%q) = true", s)
		}
	}
}

func inspect(t *testing.T, src Source) *Report {
	t.Helper()
	var rep *Report
	if err := src.Read(func(r SnapshotReader) (err error) {
		rep, err = Inspect(context.Background(), r, src.Name, InspectOptions{Now: fixedNow})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestMissingSpellings checks that the list other languages are given is
// exactly what IsMissing accepts, sorted.
func TestMissingSpellings(t *testing.T) {
	got := MissingSpellings()
	if !slices.IsSorted(got) || len(got) != len(missingSpellings) {
		t.Fatalf("MissingSpellings() = %q: not sorted, or not all %d", got, len(missingSpellings))
	}
	for _, s := range got {
		if !IsMissing(s) {
			t.Errorf("%q is listed but not missing", s)
		}
	}
}
