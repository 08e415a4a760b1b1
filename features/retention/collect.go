package retention

import (
	"context"
	"errors"

	"github.com/churnlabs/churn/features"
)

// Collector builds a Book from the rows that features.Build reads, so that
// one pass over a snapshot file makes both the feature table and the
// book: set features.BuildOptions.Observe to the Collector's Observe
// method and, once Build has succeeded, take the Book. Rows are checked as
// Read checks them, and a file with one mistake fails with Read's error.
type Collector struct {
	file string
	book *Book
}

// NewCollector returns a Collector for the file of the given name, the
// name its errors and the Book carry.
func NewCollector(file string) *Collector { return &Collector{file: file} }

// Observe starts the book over for a pass over the file: a file out of
// week order is read twice by features.Build, and only the pass that
// completes counts. It fails, as Read does, when the file has no churned
// column.
func (c *Collector) Observe(schema features.Schema) (features.Observer, error) {
	if err := checkSchema(c.file, schema); err != nil {
		return nil, err
	}
	c.book = nil
	return &collectorPass{c: c, bl: newBuilder(c.file, schema)}, nil
}

// Book returns the book of the last pass read to its end.
func (c *Collector) Book() (*Book, error) {
	if c.book == nil {
		return nil, errors.New("retention: no pass over " + c.file + " was read to its end")
	}
	return c.book, nil
}

// collectorPass is the features.Observer of one pass.
type collectorPass struct {
	c  *Collector
	bl *builder
}

func (p *collectorPass) Row(s *features.Snapshot) error { return p.bl.addChecked(s) }

// End checks the pass's rows as Read does at the end of the file: the
// same errors, before features.Build reports its own.
func (p *collectorPass) End(ctx context.Context) error {
	b, err := p.bl.finish(ctx)
	if err != nil {
		return err
	}
	p.c.book = b
	return nil
}
