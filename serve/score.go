package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/jsonfloat"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/ranking"
)

// topDrivers is how many drivers a raw row's score lists, as many as an
// account's ranking entry.
const topDrivers = 3

// scoreView is one score response, from an account or from a raw row.
type scoreView struct {
	accountID string        // "" for a raw row
	week      features.Date // the account's latest week; unused for a raw row
	score     models.Score
	drivers   []ranking.Driver
	health    string
	// missing lists the features a raw row left unknown; nil, and not
	// written, for an account.
	missing []string
	// unseen lists a table row's columns whose category the model never
	// saw, scored as missing; nil, and not written, otherwise.
	unseen []string
}

// appendScore appends v's JSON: account_id and week (accounts only),
// churn_probability, log_odds, base_value, contributions in the model's
// feature order, drivers, missing (rows only), health and model_version.
func (st *state) appendScore(b []byte, v *scoreView) []byte {
	b = append(b, '{')
	if v.accountID != "" {
		b = append(b, `"account_id":`...)
		b = appendString(b, v.accountID)
		b = append(b, `,"week":"`...)
		b = v.week.Time().AppendFormat(b, time.DateOnly)
		b = append(b, `",`...)
	}
	b = append(b, `"churn_probability":`...)
	b = jsonfloat.Append(b, v.score.Probability)
	b = append(b, `,"log_odds":`...)
	b = jsonfloat.Append(b, v.score.LogOdds)
	b = append(b, `,"base_value":`...)
	b = jsonfloat.Append(b, v.score.Base)
	b = append(b, `,"contributions":{`...)
	for j, phi := range v.score.Contributions {
		if j > 0 {
			b = append(b, ',')
		}
		b = append(b, st.enc.keys[j]...)
		b = jsonfloat.Append(b, phi)
	}
	b = append(b, `},"drivers":[`...)
	for k, d := range v.drivers {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"feature":`...)
		b = appendString(b, d.Feature)
		b = append(b, `,"description":`...)
		b = appendString(b, d.Description)
		b = append(b, `,"value":`...)
		b = jsonfloat.Append(b, d.Value)
		b = append(b, `,"contribution":`...)
		b = jsonfloat.Append(b, d.Contribution)
		b = append(b, `,"direction":`...)
		b = appendString(b, d.Direction)
		b = append(b, '}')
	}
	b = append(b, ']')
	if v.missing != nil {
		b = append(b, `,"missing":[`...)
		for k, f := range v.missing {
			if k > 0 {
				b = append(b, ',')
			}
			b = appendString(b, f)
		}
		b = append(b, ']')
	}
	if v.unseen != nil {
		b = append(b, `,"unseen_categories":[`...)
		for k, f := range v.unseen {
			if k > 0 {
				b = append(b, ',')
			}
			b = appendString(b, f)
		}
		b = append(b, ']')
	}
	b = append(b, `,"health":`...)
	b = appendString(b, v.health)
	b = append(b, `,"model_version":`...)
	b = append(b, st.enc.version...)
	return append(b, '}')
}

// accountView is the score of an account's latest snapshot, as ranking
// computed it when the state was loaded.
func accountView(a *ranking.Account) scoreView {
	return scoreView{accountID: a.AccountID, week: a.Week, score: a.Score, drivers: a.Drivers, health: a.Health}
}

// appendFeatures appends the values of x as an object keyed by feature.
func (st *state) appendFeatures(b []byte, x []float64) []byte {
	b = append(b, '{')
	for j, v := range x {
		if j > 0 {
			b = append(b, ',')
		}
		b = append(b, st.enc.keys[j]...)
		b = jsonfloat.Append(b, v)
	}
	return append(b, '}')
}

// maxPooledBuffer bounds the response buffers kept for reuse, so one
// large batch does not pin its buffer for the life of the process.
const maxPooledBuffer = 64 << 10

// writeScoreJSON answers 200 with the JSON that fill appends to a
// recycled buffer.
func (s *Server) writeScoreJSON(c *gin.Context, fill func([]byte) []byte) {
	bp := s.bufs.Get().(*[]byte)
	b := fill((*bp)[:0])
	c.Data(http.StatusOK, jsonType, b)
	if cap(b) <= maxPooledBuffer {
		*bp = b
		s.bufs.Put(bp)
	}
}

// scoreRequest is the body of POST /v1/score: one row or a batch. Values
// stay raw until checked, so a non-number is reported by feature and row
// rather than as a decoding error about a Go type.
type scoreRequest struct {
	Features map[string]json.RawMessage   `json:"features"`
	Rows     []map[string]json.RawMessage `json:"rows"`
}

const scoreRequestShape = `want {"features": {"name": number, ...}} for one row or {"rows": [{...}, ...]} for a batch`

// score answers POST /v1/score.
func (s *Server) score(c *gin.Context) {
	st := s.state.Load()
	req, err := decodeScoreRequest(c.Request.Body)
	if err != nil {
		s.requestError(c, err)
		return
	}
	batch := req.Rows != nil
	rows := req.Rows
	switch {
	case batch && req.Features != nil:
		s.fail(c, http.StatusBadRequest, `give "features" or "rows", not both`)
		return
	case !batch && req.Features == nil:
		s.fail(c, http.StatusBadRequest, "no rows to score: "+scoreRequestShape)
		return
	case !batch:
		rows = []map[string]json.RawMessage{req.Features}
	case len(rows) == 0:
		s.fail(c, http.StatusBadRequest, `"rows" is empty`)
		return
	case len(rows) > s.cfg.MaxBatch:
		s.fail(c, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("%d rows: a batch may have at most %d", len(rows), s.cfg.MaxBatch))
		return
	}

	p := len(st.model.Features)
	x := make([]float64, len(rows)*p)
	phi := make([]float64, len(rows)*p)
	views := make([]scoreView, len(rows))
	for i, row := range rows {
		xi := x[i*p : (i+1)*p : (i+1)*p]
		v, err := st.scoreRow(xi, phi[i*p:(i+1)*p:(i+1)*p], row)
		if err != nil {
			if batch {
				err = fmt.Errorf("rows[%d]: %w", i, err)
			}
			s.fail(c, http.StatusBadRequest, err.Error())
			return
		}
		views[i] = v
	}
	s.metrics.scoredRows.Add(float64(len(rows)))
	s.writeScoreJSON(c, func(b []byte) []byte {
		if !batch {
			return st.appendScore(b, &views[0])
		}
		b = append(b, `{"scores":[`...)
		for i := range views {
			if i > 0 {
				b = append(b, ',')
			}
			b = st.appendScore(b, &views[i])
		}
		return append(b, "]}"...)
	})
}

// decodeScoreRequest reads one JSON object and nothing after it.
func decodeScoreRequest(r io.Reader) (*scoreRequest, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var req scoreRequest
	if err := dec.Decode(&req); err != nil {
		if err == io.EOF {
			return nil, errors.New("empty body: " + scoreRequestShape)
		}
		return nil, jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, err
		}
		return nil, errors.New("invalid JSON body: data after the request object")
	}
	return &req, nil
}

// jsonError rewords a decoding error for a caller who has never seen the
// Go types behind the request.
func jsonError(err error) error {
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return err
	case errors.As(err, &typ) && typ.Field == "":
		return errors.New("invalid JSON body: " + scoreRequestShape)
	case errors.As(err, &typ):
		want := "an object of feature values"
		if typ.Type.Kind() == reflect.Slice {
			want = "an array of rows"
		}
		return fmt.Errorf("invalid JSON body: %q is a JSON %s, want %s", typ.Field, typ.Value, want)
	}
	return fmt.Errorf("invalid JSON body: %w", err)
}

// scoreRow reads a row of named values into x, scores it into phi and
// returns the score to write.
func (st *state) scoreRow(x, phi []float64, row map[string]json.RawMessage) (scoreView, error) {
	if row == nil {
		return scoreView{}, errors.New("null: want an object of feature values")
	}
	if st.table != nil {
		return st.scoreTableRow(x, phi, row)
	}
	missing, err := st.fill(x, row)
	if err != nil {
		return scoreView{}, err
	}
	sc := st.scorer.Score(x, phi)
	if math.IsNaN(sc.LogOdds) || math.IsInf(sc.LogOdds, 0) {
		// Only values no account could have get here, such as 1e300
		// logins on a linear model.
		return scoreView{}, errors.New("the feature values are out of range: the score is not finite")
	}
	return scoreView{
		score:   sc,
		drivers: ranking.Drivers(st.model.Features, x, sc.Contributions, topDrivers),
		health:  st.model.Health.Colour(sc.Probability),
		missing: missing,
	}, nil
}

// maxListed bounds how many bad features one error names.
const maxListed = 5

// fill sets x from a row of named values, NaN where the row gives none
// or null, and returns those features, in model order. A row that gives
// none of them is an error. Every unknown
// name and every non-number is an error; they are reported together, in
// name order, so a caller can fix them all at once.
func (st *state) fill(x []float64, row map[string]json.RawMessage) (missing []string, err error) {
	for j := range x {
		x[j] = math.NaN()
	}
	var bad []string
	unknown := false
	for name, raw := range row {
		j, ok := st.column[name]
		if !ok {
			bad = append(bad, fmt.Sprintf("unknown feature %q", name))
			unknown = true
			continue
		}
		v, err := parseValue(raw)
		if err != nil {
			bad = append(bad, fmt.Sprintf("feature %q: %v", name, err))
			continue
		}
		x[j] = v
	}
	if bad != nil {
		slices.Sort(bad)
		msg := strings.Join(bad[:min(len(bad), maxListed)], "; ")
		if len(bad) > maxListed {
			msg += fmt.Sprintf("; and %d more", len(bad)-maxListed)
		}
		if unknown {
			msg += " (GET /v1/model lists the model's features)"
		}
		return nil, errors.New(msg)
	}
	missing = []string{}
	for j, v := range x {
		if math.IsNaN(v) {
			missing = append(missing, st.model.Features[j])
		}
	}
	if len(missing) == len(x) {
		// Such a row scores as the base rate, with a health colour that
		// looks like an answer about an account: refuse it instead.
		return nil, errors.New("every feature of the model is missing: give at least one as a number " +
			"(GET /v1/model lists the model's features)")
	}
	return missing, nil
}

// parseValue reads one feature value: a JSON number, or null for
// unknown. Strings are refused even when they hold digits: a client that
// sends "3" has a bug that would hide a "three" elsewhere.
func parseValue(raw json.RawMessage) (float64, error) {
	s := string(raw)
	if s == "null" {
		return math.NaN(), nil
	}
	if s == "" || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return 0, fmt.Errorf("%s is not a number", excerpt(s))
	}
	// The decoder has checked the syntax: only the range can be wrong.
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is out of range", excerpt(s))
	}
	return v, nil
}

// excerpt shortens a value quoted in an error, which may be megabytes.
func excerpt(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}

// scoreTableRow scores a customer table's raw row: its columns by name,
// categories as strings, numbers as numbers, null or absent for missing.
// Contributions are per column, a category's one-hot parts summed, and
// still add up to the log-odds; a category the model never saw is scored
// as missing and listed in unseen_categories.
func (st *state) scoreTableRow(x, phi []float64, row map[string]json.RawMessage) (scoreView, error) {
	cells := make(map[string]string, len(row))
	kinds := make(map[string]bool, len(st.table.Columns)) // column -> categorical
	for _, c := range st.table.Columns {
		kinds[c.Name] = c.Categorical()
	}
	var bad []string
	for name, raw := range row {
		categorical, ok := kinds[name]
		if !ok {
			bad = append(bad, fmt.Sprintf("unknown column %q", name))
			continue
		}
		s := string(raw)
		switch {
		case s == "null":
			cells[name] = ""
		case s != "" && s[0] == '"':
			if !categorical {
				bad = append(bad, fmt.Sprintf("column %q: %s is not a number", name, excerpt(s)))
				continue
			}
			var v string
			if err := json.Unmarshal(raw, &v); err != nil {
				bad = append(bad, fmt.Sprintf("column %q: %v", name, err))
				continue
			}
			cells[name] = v
		default:
			if _, err := parseValue(raw); err != nil {
				bad = append(bad, fmt.Sprintf("column %q: %v", name, err))
				continue
			}
			// A number for a categorical column is its category as
			// written, as a CSV file's cell would be (a 0/1 flag read
			// as text).
			cells[name] = s
		}
	}
	if bad != nil {
		slices.Sort(bad)
		msg := strings.Join(bad[:min(len(bad), maxListed)], "; ")
		if len(bad) > maxListed {
			msg += fmt.Sprintf("; and %d more", len(bad)-maxListed)
		}
		return scoreView{}, errors.New(msg + " (GET /v1/model lists the model's columns under table)")
	}
	missing, unseen, err := features.NewRowEncoder(st.table).Encode(x, cells)
	if err != nil {
		return scoreView{}, err
	}
	if len(missing) == len(st.table.Columns) {
		return scoreView{}, errors.New("every column of the model is missing: give at least one " +
			"(GET /v1/model lists the model's columns under table)")
	}
	sc := st.scorer.Score(x, phi)
	if math.IsNaN(sc.LogOdds) || math.IsInf(sc.LogOdds, 0) {
		return scoreView{}, errors.New("the values are out of range: the score is not finite")
	}
	columns := st.scorer.Columns()
	sc.Contributions = st.scorer.ByColumn(sc.Contributions, nil)
	values := make([]float64, len(columns))
	names := make([]string, len(columns))
	for k, c := range st.table.Columns {
		values[k], names[k] = math.NaN(), c.Name
		if v, err := strconv.ParseFloat(strings.TrimSpace(cells[c.Name]), 64); err == nil && !c.Categorical() {
			values[k] = v
		}
	}
	drivers := ranking.Drivers(names, values, sc.Contributions, topDrivers)
	for i, d := range drivers {
		if c := cells[d.Feature]; kinds[d.Feature] && !slices.Contains(missing, d.Feature) {
			drivers[i].Description = features.Describe(features.LevelFeature(d.Feature, c))
		} else if slices.Contains(missing, d.Feature) {
			drivers[i].Description = features.Describe(features.MissingFeature(d.Feature))
		}
	}
	if missing == nil {
		missing = []string{}
	}
	return scoreView{score: sc, drivers: drivers, health: st.model.Health.Colour(sc.Probability),
		missing: missing, unseen: unseen}, nil
}
