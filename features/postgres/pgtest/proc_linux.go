package pgtest

import "syscall"

// sysProcAttr runs a PostgreSQL program as cred (nil: as this process's
// user) and stops it if the test binary dies without stopping it.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
}
