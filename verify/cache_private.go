package verify

import (
	"errors"
	"fmt"
	"os"

	"github.com/jwtrace/jwtrace/internal/privfile"
)

// privateFile refuses a cache file or directory that is not of the kind
// expected, not the user's own, or that others can read or write (the rule
// of privfile for secrets: a cached JWKS decides which keys verify).
func privateFile(fi os.FileInfo, dir bool) error {
	err := privfile.Check(fi.Name(), fi, privfile.Rule{Dir: dir, Secret: true})
	var e *privfile.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Problem {
	case privfile.WrongKind:
		e.Msg = fmt.Sprintf("%s is not a %s", fi.Name(), map[bool]string{true: "directory", false: "file"}[dir])
	case privfile.OtherOwner:
		e.Msg = fmt.Sprintf("%s belongs to another user (uid %d)", fi.Name(), e.Owner)
	default:
		e.Msg = fmt.Sprintf("%s has mode %v: others can read or write it", fi.Name(), e.Mode.Perm())
	}
	return e
}
