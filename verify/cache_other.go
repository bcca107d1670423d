//go:build !unix

package verify

import (
	"fmt"
	"os"
)

// privateFile checks only the kind of file: on Windows the user's cache
// directory is private by its ACL.
func privateFile(fi os.FileInfo, dir bool) error {
	if dir != fi.IsDir() {
		return fmt.Errorf("%s is not the kind of file expected", fi.Name())
	}
	return nil
}
