//go:build unix

package login

import (
	"fmt"
	"os"
	"syscall"
)

// private refuses a cache directory or file that is not of the kind
// expected, not the user's own, or that others can read or write (the
// rule of verify/cache_unix.go privateFile, with the fix in the message).
func private(p string, fi os.FileInfo, dir bool) error {
	const other = "or set JWTRACE_CACHE_DIR to a directory of your own"
	if dir != fi.IsDir() {
		kind := "a directory"
		if !dir {
			kind = "a regular file"
		}
		return &CacheError{Path: p, Problem: "is not " + kind, Fix: "remove it, " + other}
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return &CacheError{Path: p, Problem: fmt.Sprintf("belongs to another user (uid %d, you are uid %d): that user could have put a token there, or can read yours", st.Uid, os.Getuid()),
			Fix: fmt.Sprintf("set JWTRACE_CACHE_DIR to a directory of your own, or remove it (or chown %d %s, if you trust what is in it)", os.Getuid(), p)}
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		who := "other users"
		if perm&0o007 == 0 {
			who = "its group"
		}
		what := "read it, and so your tokens"
		if perm&0o022 != 0 {
			what = "write it, and so plant a token jwtrace would print"
		}
		want := "600"
		if dir {
			want = "700"
		}
		return &CacheError{Path: p, Problem: fmt.Sprintf("has mode %v: %s can %s", fi.Mode(), who, what),
			Fix: fmt.Sprintf("chmod %s %s, %s", want, p, other)}
	}
	return nil
}
