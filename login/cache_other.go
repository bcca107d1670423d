//go:build !unix

package login

import "os"

// private refuses a cache directory or file that is not of the kind
// expected. File modes and owners mean little here (ACLs decide); the
// user's cache directory is private by default.
func private(p string, fi os.FileInfo, dir bool) error {
	if dir != fi.IsDir() {
		return &CacheError{Path: p, Problem: "is not the kind of file expected", Fix: "remove it, or set JWTRACE_CACHE_DIR to a directory of your own"}
	}
	return nil
}
