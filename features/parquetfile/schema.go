package parquetfile

import (
	"fmt"

	"github.com/churnlabs/churn/features"
	"github.com/parquet-go/parquet-go"
)

// orderedGroup is a parquet group whose columns keep the order they were
// added in. parquet.Group sorts its fields by name, which would scramble
// the column order readers see and, with it, the order of extras.
type orderedGroup struct {
	parquet.Group
	fields []parquet.Field
}

// newOrderedGroup returns the group of the named nodes, in order. A name
// must not repeat or be empty.
func newOrderedGroup(names []string, nodes []parquet.Node) (*orderedGroup, error) {
	g := &orderedGroup{Group: make(parquet.Group, len(names))}
	for i, name := range names {
		if name == "" {
			return nil, fmt.Errorf("column %d has no name", i+1)
		}
		if _, dup := g.Group[name]; dup {
			return nil, fmt.Errorf("duplicate column %q", name)
		}
		g.Group[name] = nodes[i]
	}
	pos := make(map[string]int, len(names))
	for i, name := range names {
		pos[name] = i
	}
	g.fields = make([]parquet.Field, len(names))
	for _, f := range g.Group.Fields() {
		g.fields[pos[f.Name()]] = f
	}
	return g, nil
}

// Fields returns the group's fields in the order they were given.
func (g *orderedGroup) Fields() []parquet.Field { return g.fields }

// Physical types of the files this package writes: the widest of each
// family, so that any reader maps them without loss.
func stringNode() parquet.Node { return parquet.Encoded(parquet.String(), &parquet.RLEDictionary) }
func dateNode() parquet.Node   { return parquet.Encoded(parquet.Date(), &parquet.RLEDictionary) }
func countNode() parquet.Node  { return parquet.Int(64) }
func numberNode() parquet.Node { return parquet.Optional(parquet.Leaf(parquet.DoubleType)) }

// snapshotSchema returns the Parquet schema of a snapshot file: the
// columns of s.Columns(), in that order.
func snapshotSchema(s features.Schema) (*parquet.Schema, error) {
	for _, name := range s.Extras {
		// Even an optional column the schema lacks: a reader would take
		// an extra named arr for the contract's arr.
		if _, contract := roleOf(name); contract {
			return nil, fmt.Errorf("extra column %q has a contract column's name", name)
		}
	}
	names := s.Columns()
	nodes := make([]parquet.Node, 0, len(names))
	nodes = append(nodes, stringNode(), dateNode())
	for range features.RequiredColumns[2:] { // the counts
		nodes = append(nodes, countNode())
	}
	if s.HasChurned {
		nodes = append(nodes, parquet.Leaf(parquet.BooleanType))
	}
	if s.HasARR {
		nodes = append(nodes, numberNode())
	}
	if s.HasSegment {
		nodes = append(nodes, parquet.Optional(stringNode()))
	}
	if s.HasRenewal {
		nodes = append(nodes, parquet.Optional(dateNode()))
	}
	if s.HasRenewalType {
		nodes = append(nodes, parquet.Optional(stringNode()))
	}
	for range s.Extras {
		nodes = append(nodes, numberNode())
	}
	g, err := newOrderedGroup(names, nodes)
	if err != nil {
		return nil, err
	}
	return parquet.NewSchema("snapshot", g), nil
}

// datasetSchema returns the Parquet schema of a dataset file.
func datasetSchema(ds *features.Dataset) (*parquet.Schema, error) {
	names := append([]string{features.ColAccountID, features.ColWeek}, ds.Features...)
	nodes := []parquet.Node{stringNode(), dateNode()}
	for range ds.Features {
		nodes = append(nodes, numberNode())
	}
	if ds.Label != nil {
		names = append(names, colLabel)
		nodes = append(nodes, parquet.Int(32))
	}
	g, err := newOrderedGroup(names, nodes)
	if err != nil {
		return nil, err
	}
	return parquet.NewSchema("dataset", g), nil
}
