//go:build !unix

package config

import (
	"fmt"
	"os"
)

func private(path string, fi os.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("the configuration %s is not a regular file", path)
	}
	return nil
}
