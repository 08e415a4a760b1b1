//go:build !linux

package publish

import "errors"

var errNoExchange = errors.New("rename exchange not supported")

// exchange is not available outside Linux; swap renames twice instead.
func exchange(a, b string) error { return errNoExchange }
