package csvfile

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/churnlabs/churn/features"
)

// columnKind is what a column outside the contract holds.
type columnKind int8

const (
	emptyColumn  columnKind = iota // only missing values: a numeric extra, all NaN
	numberColumn                   // numbers and missing values: a numeric extra
	textColumn                     // mostly text: left out
)

// errText is wrapped by the error about a text cell in a column of
// numbers.
var errText = errors.New("text")

// surveyColumns reads the rest of t and decides the kind of each of the
// given fields from all its cells: a column is text, and left out, when
// its text cells are at least as many as its numbers; otherwise it is a
// numeric extra, and a text cell in it is an error naming the first
// one. Missing spellings (features.IsMissing) count as neither. Rows of
// the wrong width are passed over, and a syntax error ends the survey
// early: reading the rows proper reports them in order. Cells are not
// kept, bar the first text of each column, which is copied.
func surveyColumns(t *table, fields []int) (map[int]columnKind, error) {
	type tally struct {
		numbers, texts         int
		firstNumber, firstText int
		text                   string
	}
	tallies := make([]tally, len(fields))
	count := func(cell string, line int, c *tally) {
		switch {
		case features.IsMissing(cell):
		case isNumber(cell):
			if c.numbers++; c.numbers == 1 {
				c.firstNumber = line
			}
		default:
			if c.texts++; c.texts == 1 {
				c.firstText, c.text = line, strings.Clone(cell)
			}
		}
	}
	width := len(t.header)
	// Extra columns usually come last. On a line without quotes their
	// cells are found from its end: counting its commas (a vectorised
	// scan) checks its width, and only the fields from the first surveyed
	// one on are delimited, so the survey costs a fraction of a read.
	first := slices.Min(fields)
	cells := make([][]byte, width-first)
	for {
		raw, rec, line, err := t.rr.readUnquoted()
		if err != nil {
			break // the end, or an error that reading the rows reports
		}
		if raw != nil {
			if bytes.Count(raw, comma) != width-1 {
				continue
			}
			end := len(raw)
			for i := width - 1; i >= first; i-- {
				start := bytes.LastIndexByte(raw[:end], ',') + 1
				cells[i-first] = raw[start:end]
				end = start - 1
			}
			for k, i := range fields {
				cell := cells[i-first]
				count(unsafe.String(unsafe.SliceData(cell), len(cell)), line, &tallies[k])
			}
			continue
		}
		if len(rec) != width {
			continue
		}
		for k, i := range fields {
			count(rec[i], line, &tallies[k])
		}
	}
	kinds := make(map[int]columnKind, len(fields))
	for k, i := range fields {
		c := &tallies[k]
		switch {
		case c.numbers > c.texts && c.texts > 0:
			return nil, t.cellError(c.firstText, i, fmt.Errorf(
				"%w: %q in a column of numbers (%d of them, the first at row %d): "+
					"a numeric column holds numbers and missing values (empty, NA, N/A, n/a, null, NaN, None) only",
				errText, c.text, c.numbers, c.firstNumber))
		case c.numbers > c.texts:
			kinds[i] = numberColumn
		case c.texts > 0:
			kinds[i] = textColumn
		default:
			kinds[i] = emptyColumn
		}
	}
	return kinds, nil
}

// isNumber reports whether s is written as a number, if perhaps one out
// of range or infinite.
func isNumber(s string) bool {
	_, err := parseDecimal(s)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

// parseOptional parses a cell of an optional numeric column: a missing
// spelling (features.IsMissing) is NaN, anything else must be a finite
// number.
func parseOptional(s string) (float64, error) {
	if features.IsMissing(s) {
		return math.NaN(), nil
	}
	return parseNumber(s)
}

// comma is the field separator, as bytes.Count takes it.
var comma = []byte{','}
