package proc

import "syscall"

// SysProcAttr puts a child in its own process group (so it and what it starts can be
// signalled together, and a terminal's Ctrl-C reaches only us) and has the kernel kill it
// when its parent dies, so a crashed or killed parent leaves nothing behind. Pdeathsig fires
// when the forking OS thread exits; Go exits threads only of goroutines that end while
// locked with runtime.LockOSThread, so don't start children from such a goroutine.
func SysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
