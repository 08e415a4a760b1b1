package retention

import (
	"context"
	"errors"

	"github.com/churnlabs/churn/features"
)

// Collector builds a History from the rows that features.Build reads, so that
// one pass over a snapshot file makes both the feature table and the
// history: set features.BuildOptions.Observe to the Collector's Observe
// method and, once Build has succeeded, take the History. Rows are checked as
// Read checks them, and a file with one mistake fails with Read's error.
type Collector struct {
	file string
	hist *History
}

// NewCollector returns a Collector for the file of the given name, the
// name its errors and the History carry.
func NewCollector(file string) *Collector { return &Collector{file: file} }

// Observe starts the history over for a pass over the file: a file out of
// week order is read twice by features.Build, and only the pass that
// completes counts. It fails, as Read does, when the file has no churned
// column.
func (c *Collector) Observe(schema features.Schema) (features.Observer, error) {
	if err := checkSchema(c.file, schema); err != nil {
		return nil, err
	}
	c.hist = nil
	return &collectorPass{c: c, bl: newBuilder(c.file, schema)}, nil
}

// History returns the history of the last pass read to its end.
func (c *Collector) History() (*History, error) {
	if c.hist == nil {
		return nil, errors.New("retention: no pass over " + c.file + " was read to its end")
	}
	return c.hist, nil
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
	p.c.hist = b
	return nil
}
