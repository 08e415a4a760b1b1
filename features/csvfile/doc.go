// Package csvfile reads and writes the project's CSV files: snapshot files,
// the contract's input of one row per account per week, and dataset files,
// the feature tables that `churn features` writes and `churn train` reads.
//
// # Snapshot files
//
// A snapshot file starts with a header row. Column names are
// case-sensitive and may come in any order; a UTF-8 byte order mark before
// the header is skipped. The columns the contract names are read as
// follows (the rules on whole rows, such as account ids that are usable
// keys and weeks that are Mondays, are features.Source's, for every
// format):
//
//   - account_id: any non-empty text.
//   - week: a date, YYYY-MM-DD, or an ISO 8601 timestamp whose date part
//     comes first ("2024-01-01T00:00:00Z", "2024-01-01 00:00:00"), of which
//     only the date part is kept.
//   - logins, frequency, recency_days, sla_breaches, overdue_invoices: whole
//     numbers >= 0. An integral float such as "12.0" is accepted, since
//     pandas writes integer columns that way; "12.5" and negative counts
//     are errors, the latter wrapping features.ErrNegativeCount.
//   - churned (optional): 0 or 1, or true or false in any case; an empty
//     cell is false. 0.0 and 1.0 are accepted too, as pandas writes a 0/1
//     column with gaps.
//   - arr (optional): a number >= 0; a missing value (below) is unknown
//     (NaN).
//   - segment (optional): text, taken as it is.
//   - renewal_date (optional): a date as for week; a missing value is
//     unknown (features.NoDate).
//   - renewal_type (optional): how the contract renews, auto or signature,
//     in the spellings features.ParseRenewalType accepts (auto-renew,
//     evergreen, manual, ...), in any case; a missing value is unknown
//     (""), any other text an error.
//
// Numbers are decimal, as strconv.ParseFloat reads them without its
// hexadecimal and underscore forms. Infinities are errors. A missing
// value is any spelling features.IsMissing knows, the ones pandas reads as
// missing: an empty cell, NA, N/A, n/a, NaN, nan, null, NULL, None and a
// few more; they mean the same in arr, renewal_date and extra columns.
//
// # Extra columns
//
// Every other column is an extra signal, and its whole column decides its
// type, missing values aside: a column with more numbers than text is a
// numeric extra, in Schema.Extras in file order, whose missing values are
// NaN and in which a text cell is an error naming its row; any other
// column with text is skipped and listed in Reader.Ignored (a column of
// missing values only is a numeric extra). To see the whole column,
// NewReader reads the input once before handing out rows, when the file
// has extra columns and the input is an io.ReadSeeker, as Open's file is;
// given an input it cannot rewind, it decides by the first data row
// instead, a missing value there making a numeric column. A column with
// an empty name, such as the index column pandas writes unless told not
// to, is skipped as well.
//
// # Errors
//
// Every problem with a file's contents is a *features.InputError naming
// the file, the row and, where one is at fault, the column:
//
//	snapshots.csv: row 3: column "logins": negative count: -2
//
// Rows are numbered by line, as a person counts them in an editor: the
// header is row 1 and the first data row is row 2, and a row whose quoted
// cell spans several lines is numbered by the line it starts on. The same
// number is Snapshot.Row, for errors found later on.
//
// # Dataset files
//
// A dataset file has the columns account_id, week, one per feature in the
// order of Dataset.Features and, when the dataset is labelled, label (0 or
// 1). NaN is an empty cell, and every other value is written in the
// shortest form that reads back exactly, so a dataset that WriteDataset
// wrote reads back with ReadDataset as it was.
//
// # CSV syntax
//
// Fields are separated by commas and may be quoted with double quotes, in
// which a quote is written twice; lines end in "\n" or "\r\n"; blank lines
// are skipped. This is RFC 4180 as encoding/csv reads it with its default
// settings. The package parses it itself, because encoding/csv took more
// time than all the rest of reading a snapshot file, but it accepts and
// rejects exactly what encoding/csv does, but for one limit: a row
// (a record, with its quoted line breaks) longer than MaxRecordBytes, 1 MiB,
// is an error naming it, found before more than that is read into memory.
package csvfile
