package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
)

func runVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "version", "",
		`Prints the module version, the source revision the binary was built from
(with its commit time, and "modified" when the working tree had
uncommitted changes) and the Go version: what to quote in a bug report.`)
	if err := parse(e, fs, args); err != nil {
		return err
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return fmt.Errorf("no build information in this binary")
	}
	return writeVersion(e.stdout, info)
}

// writeVersion prints what the build information says of the binary:
//
//	churn (devel) revision 0123abcd (2026-12-03T17:50:00Z, modified) go1.26.8
//
// A field the build did not record (no VCS: a "go run" outside a
// repository, or -buildvcs=false) is said to be unknown rather than left
// out, so the line always has the same shape.
func writeVersion(w io.Writer, info *debug.BuildInfo) error {
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	version := info.Main.Version
	if version == "" {
		version = "(unknown)"
	}
	revision, when := settings["vcs.revision"], settings["vcs.time"]
	if revision == "" {
		revision = "unknown"
	}
	if when == "" {
		when = "time unknown"
	}
	if settings["vcs.modified"] == "true" {
		when += ", modified"
	}
	_, err := fmt.Fprintf(w, "churn %s revision %s (%s) %s\n", version, revision, when, info.GoVersion)
	return err
}
