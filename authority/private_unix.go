//go:build unix

package authority

import (
	"fmt"
	"os"
	"syscall"
)

// privateState refuses a state directory or keys file that another local
// user could have put a signing key in: one that is not the user's own, or
// that group or others can write; and a keys file, which holds private
// keys, that they can read. It is the rule of verify's discovery cache
// (verify/cache_unix.go privateFile), with the words of the authority's
// state; one shared private-file helper should serve both. A directory
// others can only read is allowed: it shows them no more than file names.
func privateState(path string, fi os.FileInfo, dir bool) error {
	what := "authority keys file"
	if dir {
		what = "authority state directory"
	}
	switch {
	case dir && !fi.IsDir():
		return fmt.Errorf("the %s %s is not a directory; give a directory of your own", what, path)
	case !dir && !fi.Mode().IsRegular():
		return fmt.Errorf("the %s %s is not a regular file (%v); remove it, and jwtrace makes a new key", what, path, fi.Mode().Type())
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("the %s %s belongs to another user (uid %d; you are uid %d), who could have planted a signing key in it; use a state directory of your own", what, path, st.Uid, os.Getuid())
	}
	perm := fi.Mode().Perm()
	switch {
	case dir && perm&0o022 != 0:
		return fmt.Errorf("the %s %s has mode %04o: group or others can write to it and could plant a signing key; if you trust its keys, fix it with: chmod 700 %s", what, path, perm, path)
	case !dir && perm&0o077 != 0:
		return fmt.Errorf("the %s %s has mode %04o: group or others can read or write the private keys in it; if you trust its keys, fix it with: chmod 600 %s (and rotate if others may have read them)", what, path, perm, path)
	}
	return nil
}
