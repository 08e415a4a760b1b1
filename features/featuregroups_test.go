package features

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestNarrow checks that a table built with every group and narrowed to
// some gives the datasets a table built with those groups alone gives:
// the model fitted on the narrowed rows scores on rows built from its
// spec.
func TestNarrow(t *testing.T) {
	rows := slices.Concat(weekly("a", monday, 60), weekly("b", monday+21, 40))
	all := buildAllGroups(t, rows)
	for _, groups := range [][]string{nil, {"baseline"}, {"windows-52", "per-seat"}, {"lifetime", "extras-windows", "per-seat"}} {
		t.Run(strings.Join(groups, "+"), func(t *testing.T) {
			spec, err := all.Spec.WithGroups(groups)
			if err != nil {
				t.Fatal(err)
			}
			narrow := buildAllGroups(t, rows)
			// Narrowed once already, as train narrows to the groups the
			// data can carry before auto leaves some out.
			first, err := all.Spec.WithGroups(slices.DeleteFunc(all.Spec.FeatureGroupsOn(), func(g string) bool { return g == "since" }))
			if err != nil {
				t.Fatal(err)
			}
			if err := narrow.Narrow(first); err != nil {
				t.Fatal(err)
			}
			if err := narrow.Narrow(spec); err != nil {
				t.Fatal(err)
			}
			direct, err := Build(context.Background(), memSource(testSchema, numberRows(slices.Clone(rows))), BuildOptions{Spec: &spec})
			if err != nil {
				t.Fatal(err)
			}
			a, b := narrow.Dataset(nil), direct.Dataset(nil)
			if !slices.Equal(a.Features, b.Features) || !slices.Equal(a.Features, spec.Names()) {
				t.Fatalf("narrowed features %v, built %v", a.Features, b.Features)
			}
			if !slices.Equal(a.X, b.X) {
				t.Fatal("narrowed rows differ from rows built with the narrow spec")
			}
			if got := narrow.Spec.FeatureGroupsOn(); !slices.Equal(got, groups) {
				t.Fatalf("groups on %v, want %v", got, groups)
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		small := buildRows(t, rows) // the default groups only
		spec, err := small.Spec.WithGroups([]string{"windows-52"})
		if err != nil {
			t.Fatal(err)
		}
		if err := small.Narrow(spec); err == nil || !strings.Contains(err.Error(), "windows-52 was not built") {
			t.Fatalf("err = %v", err)
		}
		other := spec
		other.ARR = false
		if err := all.Narrow(other); err == nil || !strings.Contains(err.Error(), "more than its groups") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestFeatureGroups(t *testing.T) {
	spec := Spec{Lifetime: true, Shape: true, ARR: true, Extras: []string{"nps"}}
	for _, tc := range []struct {
		list, err string
	}{
		{"baseline,shape", ""},
		{" since , windows-52 ", ""},
		{"shape,shape", `feature group "shape" is listed twice`},
		{"seasons", `unknown feature group "seasons"`},
		{",", "no feature group"},
	} {
		_, err := ParseFeatureGroups(tc.list)
		if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("ParseFeatureGroups(%q) = %v, want %q", tc.list, err, tc.err)
		}
	}
	if got := spec.FeatureGroupsOn(); !slices.Equal(got, []string{"lifetime", "shape"}) {
		t.Errorf("groups on %v", got)
	}
	if _, err := spec.WithGroups([]string{"per-seat"}); err == nil || !strings.Contains(err.Error(), `no "seats" column`) {
		t.Errorf("per-seat without seats: %v", err)
	}
	with, err := spec.WithGroups([]string{"extras-windows", "windows-52"})
	if err != nil {
		t.Fatal(err)
	}
	for group, want := range map[string][]string{
		"extras-windows": {"nps_4w_mean", "nps_12w_mean", "nps_4w_change"},
		"windows-52":     yearNames,
		"shape":          nil, // off now
	} {
		got, err := with.GroupColumns(group)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("columns of %s = %v, %v; want %v", group, got, err, want)
		}
	}
	base, _ := with.GroupColumns(BaseGroup)
	if len(base) != numBehaviourColumns+2 || !slices.Contains(base, "nps") || !slices.Contains(base, LogARR) {
		t.Errorf("base columns %v", base)
	}
}
