//go:build unix && !linux

package dynamolocal

import "syscall"

// sysProcAttr puts the child in its own process group; Stop signals the group.
// There is no parent-death signal outside Linux.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
