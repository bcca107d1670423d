//go:build !unix

package authority

import (
	"fmt"
	"os"
)

// privateState checks only the kind of file: on Windows the user's config
// directory is private by its ACL (as verify/cache_other.go assumes).
func privateState(path string, fi os.FileInfo, dir bool) error {
	switch {
	case dir && !fi.IsDir():
		return fmt.Errorf("the authority state directory %s is not a directory; give a directory of your own", path)
	case !dir && !fi.Mode().IsRegular():
		return fmt.Errorf("the authority keys file %s is not a regular file; remove it, and jwtrace makes a new key", path)
	}
	return nil
}
