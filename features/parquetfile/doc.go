// Package parquetfile reads and writes snapshot and dataset files in the
// Apache Parquet format.
//
// Snapshot files arrive from many producers (Spark, pandas, pyarrow, DuckDB,
// Polars), each with its own idea of how a date or a count is stored, so the
// reader is liberal about physical types and strict about values: a week may
// be a DATE, a TIMESTAMP of any unit, a legacy INT96 timestamp or an ISO
// string; a count may be any integer type or a floating-point value that
// holds a whole number; a renewal_type is a string, in the spellings
// features.ParseRenewalType reads; but a negative count, a fractional count,
// an unknown renewal type or an unparseable date is an error that names the
// file, the row and the column.
//
// Files are streamed one row group at a time through a bounded batch of
// rows, so the memory a Reader needs does not grow with the file. Malformed
// files yield errors, never panics: page headers are checked before
// parquet-go trusts them, and LZ4_RAW compression, which parquet-go cannot
// decode within bounded memory when a page is damaged, is refused.
// Uncompressed, SNAPPY, GZIP, BROTLI and ZSTD files are read; files are
// written with ZSTD.
package parquetfile
