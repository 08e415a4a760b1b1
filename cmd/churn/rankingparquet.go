package main

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models/ranking"
	"github.com/parquet-go/parquet-go"
)

// rankingParquetColumns are the leading columns of churn score --format
// parquet: the CSV's up to week, then what a downstream job needs to
// explain a score without the model: its version, log-odds and base value.
// The CSV's signal-group columns follow (groupCSVHeader), then one
// contribution column per model feature (contributionPrefix plus
// the feature's name); base plus the contributions is the log-odds. When
// the snapshots had a renewal_type column, a renewal_type column (null when
// unknown) comes last.
var rankingParquetColumns = []string{
	"account_id", "churn_probability", "health", "segment", "arr", "arr_at_risk",
	"renewal_date", "days_to_renewal", "change", "driver_1", "driver_2", "driver_3", "week",
	"model_version", "log_odds", "base",
}

// contributionPrefix names a feature's contribution column.
const contributionPrefix = "contribution_"

// rankingGroup is a Parquet group whose columns keep the order they were
// given: parquet.Group sorts its fields by name.
type rankingGroup struct {
	parquet.Group
	fields []parquet.Field
}

func (g *rankingGroup) Fields() []parquet.Field { return g.fields }

// segmentParquetColumns close a ranking's Parquet columns when a segment
// file was applied (churn score --segments): the CSV's columns of it.
var segmentParquetColumns = []string{"play_segment", "health_yellow", "health_red"}

// rankingSchema returns the Parquet schema of a ranking of the model's
// features, with the renewal type when the snapshots had one and
// segmentParquetColumns last when segmented.
func rankingSchema(featureNames []string, renewalType, segmented bool) (*parquet.Schema, []string, error) {
	str := func() parquet.Node { return parquet.Encoded(parquet.String(), &parquet.RLEDictionary) }
	date := func() parquet.Node { return parquet.Encoded(parquet.Date(), &parquet.RLEDictionary) }
	num := func() parquet.Node { return parquet.Optional(parquet.Leaf(parquet.DoubleType)) }
	nodes := []parquet.Node{
		str(), parquet.Leaf(parquet.DoubleType), str(), parquet.Optional(str()), num(), num(),
		parquet.Optional(date()), parquet.Optional(parquet.Int(32)), num(),
		parquet.Optional(str()), parquet.Optional(str()), parquet.Optional(str()), date(),
		str(), parquet.Leaf(parquet.DoubleType), parquet.Leaf(parquet.DoubleType),
	}
	names := append([]string(nil), rankingParquetColumns...)
	for _, g := range groupCSVHeader() {
		names = append(names, g)
		if strings.HasSuffix(g, "_health") {
			nodes = append(nodes, parquet.Optional(str()))
		} else {
			nodes = append(nodes, num())
		}
	}
	for _, f := range featureNames {
		names = append(names, contributionPrefix+f)
		nodes = append(nodes, num())
	}
	if renewalType {
		names = append(names, colRenewalType)
		nodes = append(nodes, parquet.Optional(str()))
	}
	if segmented {
		names = append(names, segmentParquetColumns...)
		nodes = append(nodes, str(), parquet.Leaf(parquet.DoubleType), parquet.Leaf(parquet.DoubleType))
	}
	g := &rankingGroup{Group: make(parquet.Group, len(names))}
	pos := make(map[string]int, len(names))
	for i, name := range names {
		if _, dup := g.Group[name]; dup {
			return nil, nil, fmt.Errorf("ranking column %q twice: rename the feature", name)
		}
		g.Group[name] = nodes[i]
		pos[name] = i
	}
	g.fields = make([]parquet.Field, len(names))
	for _, f := range g.Group.Fields() {
		g.fields[pos[f.Name()]] = f
	}
	return parquet.NewSchema("ranking", g), names, nil
}

// writeRankingParquet writes the accounts as Parquet (churn score --format
// parquet): one row per account in the ranking's order, unknown numbers
// as nulls. A part written with --partition holds its own accounts, and
// the parts of one run, concatenated and sorted by churn_probability
// (descending) then account_id, are the whole ranking.
func writeRankingParquet(w io.Writer, b *ranking.Book, accounts []*ranking.Account) error {
	segmented := len(b.PlaySegments()) > 0
	schema, names, err := rankingSchema(b.Model.Features, b.HasRenewalType, segmented)
	if err != nil {
		return err
	}
	pw := parquet.NewWriter(w, schema, parquet.Compression(&parquet.Zstd))
	row := make(parquet.Row, 0, len(names))
	batch := make([]parquet.Row, 1)
	version := []byte(b.Model.Version)
	for _, a := range accounts {
		row = row[:0]
		val := func(v parquet.Value) {
			row = append(row, v.Level(0, 0, len(row)))
		}
		opt := func(v parquet.Value) {
			d := 1
			if v.IsNull() {
				d = 0
			}
			row = append(row, v.Level(0, d, len(row)))
		}
		optNum := func(x float64) {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				opt(parquet.NullValue())
				return
			}
			opt(parquet.DoubleValue(x))
		}
		optStr := func(s string) {
			if s == "" {
				opt(parquet.NullValue())
				return
			}
			opt(parquet.ByteArrayValue([]byte(s)))
		}
		val(parquet.ByteArrayValue([]byte(a.AccountID)))
		val(parquet.DoubleValue(a.Probability))
		val(parquet.ByteArrayValue([]byte(a.Health)))
		optStr(a.Segment)
		optNum(a.ARR)
		optNum(a.ARRAtRisk)
		if a.DaysToRenewal >= 0 && a.RenewalDate != features.NoDate {
			opt(parquet.Int32Value(int32(a.RenewalDate)))
			opt(parquet.Int32Value(int32(a.DaysToRenewal)))
		} else {
			opt(parquet.NullValue())
			opt(parquet.NullValue())
		}
		optNum(a.Change)
		for k := range 3 {
			d := ""
			if k < len(a.Drivers) {
				d = a.Drivers[k].Sentence()
			}
			optStr(d)
		}
		val(parquet.Int32Value(int32(a.Week)))
		val(parquet.ByteArrayValue(version))
		val(parquet.DoubleValue(a.Score.LogOdds))
		val(parquet.DoubleValue(a.Score.Base))
		for k := range features.SignalGroups {
			if k < len(a.Groups) {
				optNum(a.Groups[k].LogOdds)
				optStr(a.Groups[k].Health)
			} else {
				optNum(math.NaN())
				optStr("")
			}
		}
		for _, c := range a.Score.Contributions {
			optNum(c)
		}
		if b.HasRenewalType {
			optStr(a.RenewalType)
		}
		if segmented {
			val(parquet.ByteArrayValue([]byte(a.PlaySegment)))
			val(parquet.DoubleValue(a.Cutoffs.Yellow))
			val(parquet.DoubleValue(a.Cutoffs.Red))
		}
		batch[0] = row
		if _, err := pw.WriteRows(batch); err != nil {
			return fmt.Errorf("write ranking row of account %s: %w", a.AccountID, err)
		}
	}
	return pw.Close()
}
