package dynamolocal

import "syscall"

// sysProcAttr puts the child in its own process group (Stop signals the group) and has the
// kernel kill it when the parent dies, so a crashed or killed test binary leaves no java behind.
// Pdeathsig fires when the forking OS thread exits; Go only exits threads of goroutines that
// end while locked with runtime.LockOSThread, so don't call Start from such a goroutine.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
