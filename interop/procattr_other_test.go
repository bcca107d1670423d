//go:build unix && !linux

package interop

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts a server in its own process group, so that stopping it
// stops anything it started.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
