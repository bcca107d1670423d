//go:build !unix

package authoritytest

import "os/exec"

func ownGroup(cmd *exec.Cmd) {}

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

func groupGone(cmd *exec.Cmd) bool { return true }
