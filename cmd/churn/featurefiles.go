package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/cespare/xxhash/v2"

	"github.com/churnlabs/churn/features"
)

// featureFile is what summary.json records of one data file of a
// features directory, so that "churn train --features" reads the very
// file that "churn features" wrote beside it, not one another run left
// or copied in.
type featureFile struct {
	// Name is the file's name inside the directory, such as train.csv.
	Name string `json:"file"`
	Rows int    `json:"rows"`
	// XXH64 is the file's 64-bit xxHash, in hex. It guards against a
	// file from another run, not against tampering, and hashes at memory
	// speed where SHA-256 cost a quarter of a whole gbm train on 86 MB of
	// features.
	XXH64 string `json:"xxh64"`
}

// featureParts are the data files of a features directory, by the name
// summary.json records them under.
var featureParts = []string{"train", "valid"}

// featureFormats are the formats a features directory may be written in.
var featureFormats = []string{"parquet", "csv"}

// describeFeatureFiles hashes the data files written into dir in format
// and records them with their row counts from sp.
func describeFeatureFiles(dir, format string, sp *features.Split) (map[string]featureFile, error) {
	rows := map[string]int{"train": sp.TrainStats.Rows, "valid": sp.ValidStats.Rows}
	files := make(map[string]featureFile, len(featureParts))
	for _, part := range featureParts {
		name := part + "." + format
		sum, err := fileDigest(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		files[part] = featureFile{Name: name, Rows: rows[part], XXH64: sum}
	}
	return files, nil
}

// checkFiles verifies, before anything is read, that dir holds exactly
// the data files summary.json names, byte for byte: each present, in the
// recorded format only, with the recorded checksum. It leaves one file
// per part, the named one, for readDataset to find.
func (s *featureSummary) checkFiles(dir string) error {
	summary := filepath.Join(dir, "summary.json")
	if !contains(featureFormats, s.Format) || len(s.Files) == 0 {
		return fmt.Errorf("%s records no format and files (format %q): written by an older churn? rebuild with churn features", summary, s.Format)
	}
	errs := make([]error, len(featureParts))
	var wg sync.WaitGroup
	for i, part := range featureParts {
		f, ok := s.Files[part]
		if !ok || f.Name != part+"."+s.Format {
			return fmt.Errorf("%s: files.%s is %+v, want %s.%s", summary, part, f, part, s.Format)
		}
		for _, other := range featureFormats {
			if other == s.Format {
				continue
			}
			if _, err := os.Stat(filepath.Join(dir, part+"."+other)); err == nil {
				return fmt.Errorf("%s holds both %s and %s.%s, and %s names %s: written by two runs? rebuild with churn features",
					dir, f.Name, part, other, summary, f.Name)
			}
		}
		// Hashing runs on both files side by side: it is most of the
		// cost of the check.
		wg.Go(func() {
			path := filepath.Join(dir, f.Name)
			sum, err := fileDigest(path)
			switch {
			case errors.Is(err, os.ErrNotExist):
				errs[i] = fmt.Errorf("%s is missing, yet %s names it: rebuild with churn features", path, summary)
			case err != nil:
				errs[i] = err
			case sum != f.XXH64:
				errs[i] = fmt.Errorf("%s does not match %s: written by another run? rebuild with churn features (its xxh64 is %s, %s records %s)",
					path, summary, sum, filepath.Base(summary), f.XXH64)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// checkRows verifies that the dataset read as part has the rows
// summary.json records.
func (s *featureSummary) checkRows(dir, part string, ds *features.Dataset) error {
	if f := s.Files[part]; ds.Len() != f.Rows {
		return fmt.Errorf("%s has %d rows, %s records %d: written by another run? rebuild with churn features",
			filepath.Join(dir, f.Name), ds.Len(), filepath.Join(dir, "summary.json"), f.Rows)
	}
	return nil
}

// fileDigest returns the hex 64-bit xxHash of a file's bytes.
func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := xxhash.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return fmt.Sprintf("%016x", h.Sum64()), nil
}
