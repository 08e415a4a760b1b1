//go:build !linux

package pgtest

import "syscall"

// sysProcAttr runs a PostgreSQL program as cred (nil: as this process's
// user).
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	if cred == nil {
		return nil
	}
	return &syscall.SysProcAttr{Credential: cred}
}
