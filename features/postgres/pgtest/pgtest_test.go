package pgtest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that records a skip or a failure instead of
// ending the test.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	panic(r)
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	panic(r)
}

// TestDBWithoutPostgreSQL checks what a test without PostgreSQL does: it
// skips saying why, or fails when CHURN_POSTGRES=require.
func TestDBWithoutPostgreSQL(t *testing.T) {
	for _, tt := range []struct {
		env        string
		skip, fail bool
	}{
		{"", true, false},
		{"require", false, true},
	} {
		t.Run("CHURN_POSTGRES="+tt.env, func(t *testing.T) {
			t.Setenv(Env, tt.env)
			c := New()
			c.once.Do(func() { c.err = errors.New("no initdb here") })
			r := &recorder{TB: t}
			func() {
				defer func() {
					if p := recover(); p != nil && p != r {
						panic(p)
					}
				}()
				c.DB(r)
			}()
			if (r.skipped != "") != tt.skip || (r.failed != "") != tt.fail {
				t.Fatalf("skipped %q, failed %q; want skip %v, fail %v", r.skipped, r.failed, tt.skip, tt.fail)
			}
			if msg := r.skipped + r.failed; !strings.Contains(msg, "no initdb here") || !strings.Contains(msg, Env) {
				t.Errorf("message %q does not say why nor how to require PostgreSQL", msg)
			}
		})
	}
}
