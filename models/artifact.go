package models

import (
	"bytes"
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
)

// File names inside a model directory.
const (
	ModelFile   = "model.json"
	MetricsFile = "metrics.json"
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
	a.Version = ""
	body, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	sum := sha256.Sum256(body)
	a.Version = a.Kind + "-" + hex.EncodeToString(sum[:6])
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

// Decode reads an artifact from r and checks it.
func Decode(r io.Reader) (*Artifact, error) {
	var a Artifact
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return nil, err
	}
	if err := a.Check(); err != nil {
		return nil, err
	}
	return &a, nil
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
	return features.WriteFileAtomic(path, func(w io.Writer) error {
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
	var buf bytes.Buffer
	for _, ds := range sets {
		if ds == nil {
			return ""
		}
		for _, f := range ds.Features {
			buf.WriteString(f)
			buf.WriteByte(0)
		}
		var b [8]byte
		for i := range ds.Len() {
			buf.WriteString(ds.AccountID[i])
			buf.WriteByte(0)
			binary.LittleEndian.PutUint32(b[:4], uint32(ds.Week[i]))
			buf.Write(b[:4])
			for _, v := range ds.Row(i) {
				binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
				buf.Write(b[:])
			}
			if ds.Label != nil {
				binary.LittleEndian.PutUint64(b[:], math.Float64bits(ds.Label[i]))
				buf.Write(b[:])
			}
			if buf.Len() > 1<<16 {
				h.Write(buf.Bytes())
				buf.Reset()
			}
		}
	}
	h.Write(buf.Bytes())
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// errNoModel is returned for an unknown kind.
var errNoModel = errors.New("unknown model kind")
