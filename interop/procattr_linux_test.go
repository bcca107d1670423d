package interop

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts a server in its own process group (so that stopping it
// stops anything it started) and has the kernel kill it if the test binary
// dies first (a panic, or go test's -timeout).
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
