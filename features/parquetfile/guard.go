package parquetfile

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// parquet-go trusts the sizes a file declares: it allocates whatever a page
// header says a page holds, and its codecs allocate whatever the compressed
// data says it expands to. A damaged file could then ask for gigabytes, and
// running out of memory is fatal where a panic is not. So before a row
// group's columns are decoded, checkChunk reads their page headers, and the
// size claims inside compressed data, and rejects the implausible ones.
//
// The limits sit far above what any writer produces: pages are typically
// about 1 MiB and hold at most a few hundred thousand values.
const (
	maxPageSize   = 256 << 20 // bytes in a page, uncompressed
	maxPageValues = 64 << 20  // values in a page, nulls included
)

var errBadPage = errors.New("corrupt page")

// chunkCheck describes a column chunk to check.
type chunkCheck struct {
	meta     *format.ColumnMetaData
	codec    format.CompressionCodec // the codec parquet-go will decode with
	fileSize int64
	rows     int64 // rows in the row group; no flat column page holds more values
}

// checkCodec rejects the codecs parquet-go cannot decode, or cannot decode
// within bounded memory.
func checkCodec(codec format.CompressionCodec) error {
	switch codec {
	case format.Uncompressed, format.Snappy, format.Gzip, format.Brotli, format.Zstd:
		return nil
	case format.Lz4Raw:
		// parquet-go's LZ4 decoder doubles its buffer and retries for as
		// long as decoding fails, so one damaged page exhausts memory.
		return errors.New("LZ4_RAW compression is not supported: write the file with SNAPPY or ZSTD")
	}
	return fmt.Errorf("%s compression is not supported", codec)
}

// checkChunk walks the pages of a column chunk, reading only headers and
// the few bytes of compressed data that declare a size.
func checkChunk(r io.ReaderAt, c chunkCheck) error {
	start := c.meta.DataPageOffset
	if c.meta.DictionaryPageOffset != 0 {
		start = c.meta.DictionaryPageOffset // as parquet-go reads the chunk
	}
	end := start + c.meta.TotalCompressedSize
	if start < 0 || c.meta.TotalCompressedSize < 0 || end < start || end > c.fileSize {
		return fmt.Errorf("%w: column chunk at [%d, %d) outside a %d-byte file", errBadPage, start, end, c.fileSize)
	}
	var protocol thrift.CompactProtocol
	rbuf := bufio.NewReaderSize(nil, 1024)
	dec := thrift.NewDecoder(protocol.NewReader(rbuf))
	for pos := start; pos < end; {
		section := io.NewSectionReader(r, pos, end-pos)
		rbuf.Reset(section)
		dec.Reset(protocol.NewReader(rbuf))
		var h format.PageHeader
		if err := dec.Decode(&h); err != nil {
			return fmt.Errorf("%w: header at offset %d: %v", errBadPage, pos, err)
		}
		read, _ := section.Seek(0, io.SeekCurrent)
		payload := pos + read - int64(rbuf.Buffered())
		next, err := c.checkPage(r, &h, payload, end)
		if err != nil {
			return fmt.Errorf("%w: page at offset %d: %v", errBadPage, pos, err)
		}
		pos = next
	}
	return nil
}

// checkPage checks one page whose data starts at payload, and returns
// where the next page starts.
func (c *chunkCheck) checkPage(r io.ReaderAt, h *format.PageHeader, payload, end int64) (int64, error) {
	size, usize := int64(h.CompressedPageSize), int64(h.UncompressedPageSize)
	switch {
	case size < 0 || size > end-payload:
		return 0, fmt.Errorf("%d bytes of data with %d left in the chunk", size, end-payload)
	case usize < 0 || usize > maxPageSize:
		return 0, fmt.Errorf("%d bytes uncompressed", usize)
	}
	compressed := payload
	switch {
	case h.DictionaryPageHeader.Valid:
		// A dictionary value takes at least a bit.
		if n := int64(h.DictionaryPageHeader.V.NumValues); n < 0 || n > 8*usize+8 {
			return 0, fmt.Errorf("%d dictionary values in %d bytes", n, usize)
		}
	case h.DataPageHeader.Valid:
		if err := c.checkValues(int64(h.DataPageHeader.V.NumValues)); err != nil {
			return 0, err
		}
	case h.DataPageHeaderV2.Valid:
		v2 := &h.DataPageHeaderV2.V
		if err := c.checkValues(int64(v2.NumValues)); err != nil {
			return 0, err
		}
		// Levels precede the values and are never compressed.
		levels := int64(v2.RepetitionLevelsByteLength) + int64(v2.DefinitionLevelsByteLength)
		if v2.RepetitionLevelsByteLength < 0 || v2.DefinitionLevelsByteLength < 0 || levels > size {
			return 0, fmt.Errorf("%d bytes of levels in %d bytes of data", levels, size)
		}
		if v2.IsCompressed.Valid && !v2.IsCompressed.V {
			return payload + size, nil
		}
		compressed += levels
	}
	if err := checkCompressed(r, c.codec, compressed, payload+size, usize); err != nil {
		return 0, err
	}
	return payload + size, nil
}

func (c *chunkCheck) checkValues(n int64) error {
	if n < 0 || n > c.rows || n > maxPageValues {
		return fmt.Errorf("%d values in a row group of %d rows", n, c.rows)
	}
	return nil
}

// checkCompressed checks the size claims in the compressed data at
// [from, to) against the page's uncompressed size: snappy declares its
// output length up front, and each zstd frame may too.
func checkCompressed(r io.ReaderAt, codec format.CompressionCodec, from, to, usize int64) error {
	switch codec {
	case format.Snappy:
		var b [binary.MaxVarintLen32]byte
		n, _ := r.ReadAt(b[:min(int64(len(b)), to-from)], from)
		length, k := binary.Uvarint(b[:n])
		if k <= 0 || length > uint64(usize) {
			return fmt.Errorf("snappy data declares %d bytes for a %d-byte page", length, usize)
		}
	case format.Zstd:
		return checkZstd(r, from, to, usize)
	}
	return nil
}

// checkZstd walks the zstd frames at [from, to), block header by block
// header (RFC 8878, section 3.1), and rejects a frame that declares more
// content than the page holds: the decoder allocates the declared size.
func checkZstd(r io.ReaderAt, from, to, usize int64) error {
	p := from
	read := func(n int64) (uint64, error) {
		var b [8]byte
		if p+n > to {
			return 0, fmt.Errorf("zstd data ends early")
		}
		if _, err := r.ReadAt(b[:n], p); err != nil {
			return 0, fmt.Errorf("read zstd data: %w", err)
		}
		p += n
		return binary.LittleEndian.Uint64(b[:]), nil
	}
	for p < to {
		magic, err := read(4)
		if err != nil {
			return err
		}
		if magic&^0xf == 0x184d2a50 { // a skippable frame
			n, err := read(4)
			if err != nil {
				return err
			}
			p += int64(n)
			continue
		}
		if magic != 0xfd2fb528 {
			return fmt.Errorf("bad zstd magic number %#x", magic)
		}
		fhd, err := read(1)
		if err != nil {
			return err
		}
		single := fhd>>5&1 == 1
		if !single {
			p++ // window descriptor
		}
		p += [4]int64{0, 1, 2, 4}[fhd&3] // dictionary ID
		fcsSize := [4]int64{0, 2, 4, 8}[fhd>>6]
		if fcsSize == 0 && single {
			fcsSize = 1
		}
		if fcsSize > 0 {
			fcs, err := read(fcsSize)
			if err != nil {
				return err
			}
			if fcsSize == 2 {
				fcs += 256
			}
			if fcs > uint64(usize) {
				return fmt.Errorf("zstd frame declares %d bytes for a %d-byte page", fcs, usize)
			}
		}
		for last := false; !last; {
			h, err := read(3)
			if err != nil {
				return err
			}
			last = h&1 == 1
			switch n := int64(h >> 3); h >> 1 & 3 {
			case 0, 2: // raw, compressed
				p += n
			case 1: // RLE: one byte, repeated
				p++
			default:
				return fmt.Errorf("reserved zstd block type")
			}
		}
		if fhd>>2&1 == 1 {
			p += 4 // content checksum
		}
	}
	if p != to {
		return fmt.Errorf("zstd data overruns its page")
	}
	return nil
}
