package serve

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// observe counts and times every request by route and status, and
// writes its access log line. It runs first, so it sees the status that
// catchPanics or a rejection by a later middleware wrote.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	elapsed := time.Since(start)
	route := c.FullPath()
	if route == "" {
		// Unmatched paths are the caller's to choose: one label for all
		// of them keeps the series count bounded.
		route = "unmatched"
	}
	status := c.Writer.Status()
	method := sanitizeMethod(c.Request.Method)
	s.metrics.observe(method, route, status, elapsed)
	if s.access != nil {
		s.access.record(method, route, c.Request.URL.Path, status, c.Writer.Size(), elapsed, c.Request.RemoteAddr)
	}
}

// catchPanics turns a panic in a handler into a logged 500, so one bad
// request never takes the connection, or the process, down with it.
func (s *Server) catchPanics(c *gin.Context) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v) // the handler asked net/http to drop the connection
		}
		s.log.Error("panic serving request", "method", sanitizeMethod(c.Request.Method), "path", c.Request.URL.Path,
			"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		if !c.Writer.Written() {
			s.fail(c, http.StatusInternalServerError, "internal error")
		}
		c.Abort()
	}()
	c.Next()
}

// limitBody caps what a handler can read of a request body. A body
// declared too large is refused before it is read; one that only turns
// out too large fails its handler's read with *http.MaxBytesError.
func (s *Server) limitBody(c *gin.Context) {
	if c.Request.ContentLength > s.cfg.MaxBodyBytes {
		s.fail(c, http.StatusRequestEntityTooLarge, tooLarge(s.cfg.MaxBodyBytes))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes)
	c.Next()
}

func tooLarge(limit int64) string {
	return fmt.Sprintf("request body is larger than the limit of %d bytes", limit)
}

// authorize returns a middleware that requires the bearer token. It
// compares digests in constant time, so neither the token's bytes nor
// its length leak through response times.
func (s *Server) authorize(token string) gin.HandlerFunc {
	want := sha256.Sum256([]byte(token))
	return func(c *gin.Context) {
		h := c.GetHeader("Authorization")
		const scheme = "Bearer "
		// The scheme is case-insensitive (RFC 9110, section 11.1).
		if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
			c.Header("WWW-Authenticate", `Bearer realm="churn"`)
			s.fail(c, http.StatusUnauthorized, "missing bearer token")
			return
		}
		got := sha256.Sum256([]byte(strings.TrimSpace(h[len(scheme):])))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			c.Header("WWW-Authenticate", `Bearer realm="churn", error="invalid_token"`)
			s.fail(c, http.StatusUnauthorized, "invalid bearer token")
			return
		}
		c.Next()
	}
}

// errorBody is every error response.
type errorBody struct {
	Error string `json:"error"`
}

// fail answers {"error": msg} with the status and stops the chain.
// Server errors are logged: the caller cannot act on them, we can.
func (s *Server) fail(c *gin.Context, status int, msg string) {
	// A 503 while draining is the server saying it is on its way out,
	// as asked: no failure to log.
	if status >= http.StatusInternalServerError && !(status == http.StatusServiceUnavailable && msg == notReady) {
		s.log.Error("request failed", "method", sanitizeMethod(c.Request.Method), "path", c.Request.URL.Path,
			"status", status, "err", msg)
	}
	body, _ := json.Marshal(errorBody{msg}) // a struct of one string always encodes
	c.Abort()
	c.Data(status, jsonType, body)
}

// jsonType is the Content-Type of every response but the dashboard's
// and the metrics'.
const jsonType = "application/json; charset=utf-8"

// reply writes v as the JSON response.
func (s *Server) reply(c *gin.Context, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.fail(c, http.StatusInternalServerError, "encode response: "+err.Error())
		return
	}
	c.Data(status, jsonType, body)
}

// requestError reports a request body that could not be read: 413 when
// it broke the size limit, 400 otherwise. A closed or timed-out
// connection lands here too; its status is never seen.
func (s *Server) requestError(c *gin.Context, err error) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		s.fail(c, http.StatusRequestEntityTooLarge, tooLarge(tooBig.Limit))
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		s.fail(c, http.StatusRequestTimeout, "read request body: "+err.Error())
	default:
		s.fail(c, http.StatusBadRequest, err.Error())
	}
}
