package models

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/publish"
)

// File names inside a model directory.
const (
	ModelFile   = "model.json"
	MetricsFile = "metrics.json"
	// FirstFitDir is the folder, inside the directory of a refitted
	// model, that holds the first fit: the one validated out of time,
	// which the model's validation figures are of.
	FirstFitDir = "first-fit"
)

// Save writes a.json and the metrics report into dir, each atomically, the
// model last: a directory that has a model.json has its metrics.json too.
// It sets a.Version from the model's content, so identical models share a
// version and a retrained one gets a new one.
func Save(dir string, a *Artifact, report *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	a.Format = FormatVersion
	v, err := contentVersion(a)
	if err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	a.Version = v
	if err := writeJSON(filepath.Join(dir, MetricsFile), report); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, ModelFile), a)
}

// Load reads and checks dir/model.json.
func Load(dir string) (*Artifact, error) {
	path := filepath.Join(dir, ModelFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	defer f.Close()
	a, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", path, err)
	}
	return a, nil
}

// Decode reads an artifact from r and checks it: it must pass Check and
// its content must hash to its version, as Save computed it.
func Decode(r io.Reader) (*Artifact, error) {
	var a Artifact
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return nil, err
	}
	// A bad number is named before the version is compared: whoever
	// edited it by hand learns what is wrong with it.
	if err := a.Check(); err != nil {
		return nil, err
	}
	want, err := contentVersion(&a)
	if err != nil {
		return nil, err
	}
	if a.Version != want {
		return nil, fmt.Errorf("version %q does not match the content, which hashes to %q: the file was edited after churn train saved it", a.Version, want)
	}
	return &a, nil
}

// LoadValidated returns the fit of a, loaded from dir, that its
// validation figures are of: a itself, or for a refitted model its first
// fit, from dir/first-fit. A comparison on validation weeks must use it:
// the refit saw those weeks.
func LoadValidated(dir string, a *Artifact) (*Artifact, error) {
	if a.Refit == nil {
		return a, nil
	}
	first, err := Load(filepath.Join(dir, FirstFitDir))
	if err != nil {
		return nil, fmt.Errorf("%s was refitted after validation, and its first fit, which was validated: %w", filepath.Join(dir, ModelFile), err)
	}
	if first.Kind != a.Kind || first.Valid != a.Valid || first.Fingerprint != a.Fingerprint {
		return nil, fmt.Errorf("%s is not the first fit of %s: another kind, validation or data", filepath.Join(dir, FirstFitDir, ModelFile), filepath.Join(dir, ModelFile))
	}
	return first, nil
}

// LoadReport reads dir/metrics.json.
func LoadReport(dir string) (*Report, error) {
	b, err := os.ReadFile(filepath.Join(dir, MetricsFile))
	if err != nil {
		return nil, fmt.Errorf("load metrics: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("load metrics %s: %w", filepath.Join(dir, MetricsFile), err)
	}
	return &r, nil
}

func writeJSON(path string, v any) error {
	return publish.File(path, func(w io.Writer) error {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	})
}

// Fingerprint identifies the training data: a hash of the feature names
// and of every row's account, week, values and label. Two model files
// with the same fingerprint were trained on the same data.
func Fingerprint(sets ...*features.Dataset) string {
	h := sha256.New()
	// Appending to a slice, which inlines, not writing to a buffer a
	// value at a time: half the cost was the buffer's bookkeeping.
	buf := make([]byte, 0, 1<<16+1<<10)
	for _, ds := range sets {
		if ds == nil {
			return ""
		}
		for _, f := range ds.Features {
			buf = append(buf, f...)
			buf = append(buf, 0)
		}
		for i := range ds.Len() {
			buf = append(buf, ds.AccountID[i]...)
			buf = append(buf, 0)
			buf = binary.LittleEndian.AppendUint32(buf, uint32(ds.Week[i]))
			for _, v := range ds.Row(i) {
				buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
			}
			if ds.Label != nil {
				buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(ds.Label[i]))
			}
			if len(buf) > 1<<16 {
				h.Write(buf)
				buf = buf[:0]
			}
		}
	}
	h.Write(buf)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// errNoModel is returned for an unknown kind.
var errNoModel = errors.New("unknown model kind")
