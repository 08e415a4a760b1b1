package publish

import (
	"errors"

	"golang.org/x/sys/unix"
)

// errNoExchange reports a file system that cannot exchange names.
var errNoExchange = errors.New("rename exchange not supported")

// exchange swaps two existing paths in one step (renameat2 with
// RENAME_EXCHANGE). A missing target is fs.ErrNotExist.
func exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		return errNoExchange
	}
	return err
}
