package csvfile

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
)

// endless yields its text and then the byte fill forever, counting the
// bytes it has handed out.
type endless struct {
	text []byte
	fill byte
	read int64
}

func (e *endless) Read(p []byte) (int, error) {
	n := copy(p, e.text)
	e.text = e.text[n:]
	for i := n; i < len(p); i++ {
		p[i] = e.fill
	}
	e.read += int64(len(p))
	return len(p), nil
}

// TestRecordLimit feeds the readers rows that never end, or end too
// late: each must stop with an error naming the row, having read little
// more than MaxRecordBytes.
func TestRecordLimit(t *testing.T) {
	const limit = MaxRecordBytes + 256<<10 // what a reader may take beyond the row: its buffer
	for _, c := range []struct {
		name, text string
		fill       byte
		row        int
	}{
		{"endless id", hdr + "\na,2024-01-01,1,2,3,4,5\n", 'x', 3},
		{"endless header", "account_id", 'x', 1},
		{"endless quoted cell", hdr + "\na,2024-01-01,1,2,3,4,5\n\"", '\n', 3},
		{"endless quoted line", hdr + "\n\"", 'y', 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, read := range []struct {
				name string
				read func(io.Reader) error
			}{
				{"snapshots", func(r io.Reader) error { _, err := readSnapshots(r, "big.csv"); return err }},
				{"dataset", func(r io.Reader) error { _, err := ReadDataset(r, "big.csv"); return err }},
			} {
				in := &endless{text: []byte(c.text), fill: c.fill}
				err := read.read(io.LimitReader(in, 64<<20))
				var ie *features.InputError
				if !errors.As(err, &ie) || ie.Row != c.row || ie.File != "big.csv" || !strings.Contains(err.Error(), "longer than 1048576 bytes") {
					t.Errorf("%s: %v, want an error at row %d", read.name, err, c.row)
				}
				if in.read > limit {
					t.Errorf("%s: read %d bytes, want at most %d", read.name, in.read, limit)
				}
			}
		})
	}

	// Just under the limit is fine.
	id := strings.Repeat("i", 200)
	row := id + ",2024-01-01,1,2,3,4,5," + strings.Repeat("z", MaxRecordBytes-len(id)-22)
	rows, err := readSnapshots(strings.NewReader(hdr+",note\n"+row+"\n"), "ok.csv")
	if err != nil || len(rows) != 1 || len(row) != MaxRecordBytes {
		t.Errorf("a row of %d bytes: %d rows, %v", len(row), len(rows), err)
	}
}

// TestDatasetPartsRecordLimit puts a row over the limit in the last part
// of a dataset read in parts: the error names its row in the whole file.
func TestDatasetPartsRecordLimit(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("account_id,week,x\n")
	for b.Len() < 3*minPart {
		b.WriteString("acct,2024-01-01,1.5\n")
	}
	rows := bytes.Count(b.Bytes(), []byte("\n"))
	b.WriteString("acct,2024-01-01," + strings.Repeat("9", MaxRecordBytes) + "\n")
	_, err := readBytes(b.Bytes(), "big.csv", 2)
	var ie *features.InputError
	if !errors.As(err, &ie) || ie.Row != rows+1 || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("err = %v, want one at row %d", err, rows+1)
	}
}
