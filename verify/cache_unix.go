//go:build unix

package verify

import (
	"fmt"
	"os"
	"syscall"
)

// privateFile refuses a cache file or directory that is not the user's own
// or that others can read or write.
func privateFile(fi os.FileInfo, dir bool) error {
	if dir != fi.IsDir() {
		return fmt.Errorf("%s is not a %s", fi.Name(), map[bool]string{true: "directory", false: "file"}[dir])
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s has mode %v: others can read or write it", fi.Name(), fi.Mode().Perm())
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("%s belongs to another user (uid %d)", fi.Name(), st.Uid)
	}
	return nil
}
