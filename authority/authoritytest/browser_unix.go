//go:build unix

package authoritytest

import (
	"os/exec"
	"syscall"
)

// ownGroup puts the browser in a process group of its own, so that
// killGroup ends its renderer and helper processes too.
func ownGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// groupGone reports whether no process of the browser's group is left.
func groupGone(cmd *exec.Cmd) bool {
	return cmd.Process == nil || syscall.Kill(-cmd.Process.Pid, 0) == syscall.ESRCH
}
