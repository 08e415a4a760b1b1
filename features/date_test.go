package features

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // "" for an error
	}{
		{"1970-01-01", "1970-01-01"},
		{"2024-02-29", "2024-02-29"},
		{"2000-02-29", "2000-02-29"},
		{"1900-02-29", ""},
		{"2023-02-29", ""},
		{"2024-13-01", ""},
		{"2024-00-10", ""},
		{"2024-04-31", ""},
		{"2024-1-01", ""},
		{"24-01-01xx", ""},
		{"", ""},
		{"1969-12-31", "1969-12-31"},
	} {
		d, err := ParseDate(c.in)
		if c.want == "" {
			if err == nil {
				t.Errorf("ParseDate(%q) = %s, want an error", c.in, d)
			}
			continue
		}
		if err != nil || d.String() != c.want {
			t.Errorf("ParseDate(%q) = %s, %v; want %s", c.in, d, err, c.want)
		}
	}
}

// TestDateMatchesTime checks the hand-rolled calendar against package time
// over four centuries of days.
func TestDateMatchesTime(t *testing.T) {
	start := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 146097; i += 7 {
		tm := start.AddDate(0, 0, i)
		d, err := ParseDate(tm.Format(time.DateOnly))
		if err != nil || d != DateOf(tm) || !d.Time().Equal(tm) {
			t.Fatalf("%s: ParseDate = %d, %v; DateOf = %d", tm.Format(time.DateOnly), d, err, DateOf(tm))
		}
	}
}

func TestDateJSON(t *testing.T) {
	type T struct{ A, B Date }
	b, err := json.Marshal(T{A: 19723, B: NoDate})
	if err != nil || string(b) != `{"A":"2024-01-01","B":""}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var back T
	if err := json.Unmarshal(b, &back); err != nil || back.A != 19723 || back.B != NoDate {
		t.Fatalf("Unmarshal = %+v, %v", back, err)
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-01-01", "0000-00-00", "9999-12-31", "2024-02-30", "abcd-ef-gh"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if d.String() != s {
			t.Fatalf("ParseDate(%q) = %s does not round-trip", s, d)
		}
	})
}
