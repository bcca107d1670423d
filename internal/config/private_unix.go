//go:build unix

package config

import (
	"fmt"
	"os"
	"syscall"
)

// private refuses a configuration file that another local user could have
// written: a profile decides where tokens and secrets go.
func private(path string, fi os.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("the configuration %s is not a regular file", path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("the configuration %s belongs to another user (uid %d; you are uid %d), who could point your logins at their server; use a file of your own (or $JWTRACE_CONFIG)", path, st.Uid, os.Getuid())
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("the configuration %s has mode %04o: group or others can write it and point your logins at their server; fix it with: chmod go-w %s", path, perm, path)
	}
	return nil
}
