package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/lifecycle/sqlstore"
	"github.com/churnlabs/churn/models/ranking"
	"github.com/churnlabs/churn/models/registry"
)

// dbOff is the --db value of "churn serve" that turns the score history
// off.
const dbOff = "off"

// dbFlag adds --db, the lifecycle store, to fs.
func dbFlag(fs *flag.FlagSet, usage string) *string {
	return fs.String("db", "", usage+": a SQLite file, created on first use, or a postgres:// URL "+
		"(default: "+lifecycle.DefaultDBName+" in the folder that holds the model folder)")
}

// openStore opens the lifecycle store addr, or the default SQLite file
// beside modelDir when addr is "".
func openStore(ctx context.Context, addr, modelDir string) (*sqlstore.Store, error) {
	if addr == "" {
		addr = registry.DefaultDB(modelDir)
	}
	return sqlstore.Open(ctx, addr)
}

// openServeStore opens the score history of "churn serve": none with
// --db off. A store named with --db must open; the default one is a
// convenience, so when it cannot be opened (a read-only folder) the
// server warns and serves without history, as before there was one.
func openServeStore(ctx context.Context, addr, modelDir string, log *slog.Logger) (*sqlstore.Store, error) {
	if addr == dbOff {
		return nil, nil
	}
	s, err := openStore(ctx, addr, modelDir)
	if err == nil {
		return s, nil
	}
	if addr != "" {
		return nil, fmt.Errorf("--db: %w", err)
	}
	log.Warn("serving without a score history: the default store cannot be opened (name one with --db, or --db off)", "err", err)
	return nil, nil
}

// recordBook stores every account of book in the score history at addr
// (the default beside modelDir when ""), after taking the book's past
// weeks from what was recorded as shown, and says what it stored on w.
func recordBook(ctx context.Context, w io.Writer, addr, modelDir string, book *ranking.Book) error {
	s, err := openStore(ctx, addr, modelDir)
	if err != nil {
		return fmt.Errorf("--record: %w", err)
	}
	defer s.Close()
	shown, err := s.ShownHistory(ctx, book.HistoryStart(), book.AsOf.AddDays(-1))
	if err != nil {
		return fmt.Errorf("--record: %w", err)
	}
	book.UseRecorded(lifecycle.Shown(shown))
	n, err := s.RecordScores(ctx, lifecycle.Records(book))
	if err != nil {
		return fmt.Errorf("--record: %w", err)
	}
	fmt.Fprintf(w, "recorded %d scores of week %s by model %s in %s\n", n, book.AsOf, book.Model.Version, s)
	return nil
}
