package parquetfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/churnlabs/churn/features"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// plainRow is a snapshot row with a dictionary-encoded column, so that
// chunks start with a dictionary page.
type plainRow struct {
	AccountID       string `parquet:"account_id,dict"`
	Week            int32  `parquet:"week,date"`
	Logins          int64  `parquet:"logins"`
	Frequency       int64  `parquet:"frequency"`
	RecencyDays     int64  `parquet:"recency_days"`
	SLABreaches     int64  `parquet:"sla_breaches"`
	OverdueInvoices int64  `parquet:"overdue_invoices"`
}

// TestReadCompressions reads files of many pages per column chunk, with
// every codec the reader accepts and both data page versions, so that the
// page checks walk real headers of every kind.
func TestReadCompressions(t *testing.T) {
	rows := make([]plainRow, 3000)
	for i := range rows {
		rows[i] = plainRow{AccountID: fmt.Sprintf("acct-%d", i%40), Week: int32(19000 + i/40*7), Logins: int64(i)}
	}
	for _, codec := range []compress.Codec{&parquet.Uncompressed, &parquet.Snappy, &parquet.Gzip, &parquet.Brotli, &parquet.Zstd} {
		for _, version := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s v%d", codec, version), func(t *testing.T) {
				data := writeStructs(t, rows, parquet.Compression(codec), parquet.DataPageVersion(version),
					parquet.PageBufferSize(2048), parquet.MaxRowsPerRowGroup(1000))
				got := readAll(t, data)
				if len(got) != len(rows) {
					t.Fatalf("read %d rows, want %d", len(got), len(rows))
				}
				for i, s := range got {
					if s.AccountID != rows[i].AccountID || s.Logins != rows[i].Logins || s.Week != features.Date(rows[i].Week) {
						t.Fatalf("row %d: %+v, want %+v", i+1, s, rows[i])
					}
				}
			})
		}
	}
}

func TestReadLZ4Rejected(t *testing.T) {
	data := writeStructs(t, []plainRow{{AccountID: "a"}}, parquet.Compression(&parquet.Lz4Raw))
	_, err := NewReader(bytes.NewReader(data), int64(len(data)), "test.parquet")
	checkInputError(t, err, 0, "account_id", nil, "LZ4_RAW compression is not supported")
	_, err = ReadDataset(bytes.NewReader(data), int64(len(data)), "test.parquet")
	checkInputError(t, err, 0, "account_id", nil, "LZ4_RAW compression is not supported")
}

// encodeHeader returns a page header as it sits in a file.
func encodeHeader(t *testing.T, h *format.PageHeader) []byte {
	t.Helper()
	b, err := thrift.Marshal(new(thrift.CompactProtocol), h)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckChunk(t *testing.T) {
	dataPage := func(n int32) thrift.Null[format.DataPageHeader] {
		return thrift.New(format.DataPageHeader{NumValues: n})
	}
	v2 := func(rep, def int32, compressed bool) thrift.Null[format.DataPageHeaderV2] {
		return thrift.New(format.DataPageHeaderV2{NumValues: 1, NumRows: 1, RepetitionLevelsByteLength: rep,
			DefinitionLevelsByteLength: def, IsCompressed: thrift.New(compressed)})
	}
	snappy := func(n int) []byte {
		b, err := parquet.Snappy.Encode(nil, make([]byte, n))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name    string
		codec   format.CompressionCodec
		header  format.PageHeader
		payload []byte
		msg     string // "" when the page is sound
	}{
		{"sound", format.Snappy, format.PageHeader{Type: format.DataPage, UncompressedPageSize: 100, DataPageHeader: dataPage(10)}, snappy(100), ""},
		{"data past the chunk", format.Uncompressed, format.PageHeader{CompressedPageSize: 50, UncompressedPageSize: 50, DataPageHeader: dataPage(1)}, make([]byte, 10), "50 bytes of data with"},
		{"negative size", format.Uncompressed, format.PageHeader{CompressedPageSize: -1, DataPageHeader: dataPage(1)}, nil, "-1 bytes of data"},
		{"huge page", format.Uncompressed, format.PageHeader{UncompressedPageSize: 1 << 30, DataPageHeader: dataPage(1)}, nil, "1073741824 bytes uncompressed"},
		{"more values than rows", format.Uncompressed, format.PageHeader{DataPageHeader: dataPage(11)}, nil, "11 values in a row group of 10 rows"},
		{"negative values", format.Uncompressed, format.PageHeader{DataPageHeader: dataPage(-1)}, nil, "-1 values"},
		{"dictionary too long", format.Uncompressed, format.PageHeader{Type: format.DictionaryPage, UncompressedPageSize: 1,
			DictionaryPageHeader: thrift.New(format.DictionaryPageHeader{NumValues: 17})}, make([]byte, 0), "17 dictionary values in 1 bytes"},
		{"levels past the data", format.Uncompressed, format.PageHeader{DataPageHeaderV2: v2(3, 4, true)}, make([]byte, 0), "7 bytes of levels in 0 bytes"},
		{"snappy length lies", format.Snappy, format.PageHeader{UncompressedPageSize: 99, DataPageHeader: dataPage(1)}, snappy(100), "snappy data declares 100 bytes for a 99-byte page"},
		{"empty snappy", format.Snappy, format.PageHeader{DataPageHeader: dataPage(1)}, nil, "snappy data declares 0 bytes"},
		{"snappy after levels", format.Snappy, format.PageHeader{UncompressedPageSize: 8, DataPageHeaderV2: v2(0, 2, true)}, append([]byte{1, 2}, snappy(8)...), ""},
		{"uncompressed v2", format.Snappy, format.PageHeader{UncompressedPageSize: 3, DataPageHeaderV2: v2(0, 1, false)}, []byte{1, 2, 3}, ""},
		{"zstd length lies", format.Zstd, format.PageHeader{UncompressedPageSize: 10, DataPageHeader: dataPage(1)}, zstdFrame(t, 1000), "zstd frame declares 1000 bytes for a 10-byte page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h.CompressedPageSize == 0 {
				h.CompressedPageSize = int32(len(tt.payload))
			}
			// Two pages, so that the walk must find the second after the
			// first's data.
			header := encodeHeader(t, &h)
			file := append([]byte("PAR1"), header...)
			file = append(file, tt.payload...)
			file = append(file, header...)
			file = append(file, tt.payload...)
			meta := &format.ColumnMetaData{DataPageOffset: 4, TotalCompressedSize: int64(len(file) - 4)}
			err := checkChunk(bytes.NewReader(file), chunkCheck{meta: meta, codec: tt.codec, fileSize: int64(len(file)), rows: 10})
			switch {
			case tt.msg == "" && err != nil:
				t.Errorf("checkChunk: %v", err)
			case tt.msg != "" && (err == nil || !strings.Contains(err.Error(), tt.msg) || !errors.Is(err, errBadPage)):
				t.Errorf("checkChunk = %v, want an error saying %q", err, tt.msg)
			}
		})
	}
}

func TestCheckChunkBounds(t *testing.T) {
	tests := []struct {
		name string
		meta format.ColumnMetaData
	}{
		{"past the end", format.ColumnMetaData{DataPageOffset: 4, TotalCompressedSize: 100}},
		{"negative offset", format.ColumnMetaData{DataPageOffset: -4, TotalCompressedSize: 8}},
		{"negative size", format.ColumnMetaData{DataPageOffset: 4, TotalCompressedSize: -1}},
		{"dictionary past the end", format.ColumnMetaData{DataPageOffset: 4, DictionaryPageOffset: 90, TotalCompressedSize: 20}},
		{"garbage header", format.ColumnMetaData{DataPageOffset: 0, TotalCompressedSize: 20}},
	}
	file := bytes.Repeat([]byte{0xff}, 20)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkChunk(bytes.NewReader(file), chunkCheck{meta: &tt.meta, codec: format.Uncompressed, fileSize: int64(len(file)), rows: 1})
			if !errors.Is(err, errBadPage) {
				t.Errorf("checkChunk = %v, want %v", err, errBadPage)
			}
		})
	}
}

// zstdFrame compresses n zero bytes into one frame, which declares n.
func zstdFrame(t *testing.T, n int) []byte {
	t.Helper()
	b, err := parquet.Zstd.Encode(nil, make([]byte, n))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckZstd(t *testing.T) {
	frame := zstdFrame(t, 1000)
	skippable := []byte{0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 'a', 'b', 'c'}
	// Magic number, a single-segment frame of 5 bytes, then a last block
	// of the reserved type 3.
	reserved := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x20, 5, 1 | 3<<1, 0, 0}
	tests := []struct {
		name  string
		data  []byte
		usize int64
		msg   string
	}{
		{"one frame", frame, 1000, ""},
		{"two frames and a skippable one", bytes.Join([][]byte{frame, skippable, frame}, nil), 2000, ""},
		{"no data", nil, 0, ""},
		{"declares too much", frame, 999, "declares 1000 bytes"},
		{"truncated header", frame[:5], 1000, "ends early"},
		{"truncated data", frame[:len(frame)-1], 1000, "overruns"},
		{"trailing bytes", append(bytes.Clone(frame), 0, 0, 0, 0), 1000, "bad zstd magic number"},
		{"reserved block", reserved, 5, "reserved zstd block type"},
		{"overrun", append(bytes.Clone(frame), skippable[:8]...), 1000, "overruns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkZstd(bytes.NewReader(tt.data), 0, int64(len(tt.data)), tt.usize)
			switch {
			case tt.msg == "" && err != nil:
				t.Errorf("checkZstd: %v", err)
			case tt.msg != "" && (err == nil || !strings.Contains(err.Error(), tt.msg)):
				t.Errorf("checkZstd = %v, want an error saying %q", err, tt.msg)
			}
		})
	}
}

// panicReader panics on every read once armed, as parquet-go does on some
// malformed input.
type panicReader struct {
	*bytes.Reader
	armed bool
}

func (r *panicReader) ReadAt(p []byte, off int64) (int, error) {
	if r.armed {
		panic("boom")
	}
	return r.Reader.ReadAt(p, off)
}

func TestPanicsBecomeErrors(t *testing.T) {
	data := writeColumns(t, validColumns()...)
	pr := &panicReader{Reader: bytes.NewReader(data)}
	r, err := NewReader(pr, int64(len(data)), "test.parquet")
	if err != nil {
		t.Fatal(err)
	}
	pr.armed = true
	var s features.Snapshot
	err = r.Next(&s)
	checkInputError(t, err, 0, "", nil, "boom")
	if again := r.Next(&s); again != err {
		t.Errorf("Next after a panic = %v, want the same error %v", again, err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close after a panic: %v", err)
	}

	if _, err := NewReader(pr, int64(len(data)), "test.parquet"); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("NewReader on a panicking file = %v, want an error", err)
	}
	if _, err := ReadDataset(pr, int64(len(data)), "test.parquet"); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("ReadDataset on a panicking file = %v, want an error", err)
	}
}

// TestProjectionRows checks that a projection reads only its columns, by
// whichever method a caller reaches for.
func TestProjectionRows(t *testing.T) {
	data := writeColumns(t, validColumns()...)
	f := openParquet(t, data)
	g := f.RowGroups()[0]
	p := projection{RowGroup: g, chunks: []parquet.ColumnChunk{g.ColumnChunks()[1], g.ColumnChunks()[4]}}
	rows := p.Rows()
	defer rows.Close()
	buf := make([]parquet.Row, 5)
	n, err := rows.ReadRows(buf)
	if err != nil && err != io.EOF {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("read %d rows, want 3", n)
	}
	for _, row := range buf[:n] {
		if len(row) != 2 || row[0].Column() != 1 || row[1].Column() != 4 {
			t.Errorf("row %v, want values of columns 1 and 4", row)
		}
	}
}
