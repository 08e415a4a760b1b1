package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenMix: --mix with every factor at 1 writes the default world byte
// for byte, another mix a different world that says which, and a bad mix
// is a usage error that names the flag and writes nothing.
func TestGenMix(t *testing.T) {
	dir := t.TempDir()
	flags := []string{"--accounts", "60", "--weeks", "30", "--seed", "4"}
	read := func(name string, extra ...string) ([]byte, string) {
		path := filepath.Join(dir, name)
		out := mustChurn(t, append(append([]string{"gen", "--out", path}, flags...), extra...)...)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b, out
	}
	plain, plainOut := read("plain.csv")
	ones, _ := read("ones.csv", "--mix", "churn=1,usage=1,support=1,billing=1,abrupt=1,noise=1")
	if !bytes.Equal(plain, ones) {
		t.Error("--mix with every factor 1 is not the default world")
	}
	if strings.Contains(plainOut, "mix") {
		t.Errorf("default world's output %q mentions a mix", plainOut)
	}
	other, out := read("other.csv", "--mix", "usage=0.3,support=3")
	if bytes.Equal(plain, other) {
		t.Error("--mix usage=0.3,support=3 wrote the default world")
	}
	if !strings.Contains(out, "mix usage=0.3,support=3") {
		t.Errorf("output %q does not name the mix", out)
	}
	for _, bad := range []string{"usage", "speed=2", "noise=-1", "churn=20"} {
		path := filepath.Join(dir, "bad.csv")
		code, _, errs := churn(t, "gen", "--out", path, "--mix", bad)
		if code != 2 || !strings.Contains(errs, "--mix") {
			t.Errorf("gen --mix %s: exit %d, %q; want a usage error about --mix", bad, code, errs)
		}
		if _, err := os.Stat(path); err == nil {
			t.Errorf("gen --mix %s wrote %s", bad, path)
		}
	}
}
