package config

import (
	"errors"
	"fmt"
	"os"

	"github.com/jwtrace/jwtrace/internal/privfile"
)

// private refuses a configuration file that another local user could have
// written (privfile's rule; others may read it): a profile decides where
// tokens and secrets go.
func private(path string, fi os.FileInfo) error {
	err := privfile.Check(path, fi, privfile.Rule{})
	var e *privfile.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Problem {
	case privfile.WrongKind:
		e.Msg = fmt.Sprintf("the configuration %s is not a regular file", path)
	case privfile.OtherOwner:
		e.Msg = fmt.Sprintf("the configuration %s belongs to another user (uid %d; you are uid %d), who could point your logins at their server; use a file of your own (or $JWTRACE_CONFIG)", path, e.Owner, e.Me)
	default:
		e.Msg = fmt.Sprintf("the configuration %s has mode %04o: group or others can write it and point your logins at their server; fix it with: chmod go-w %s", path, e.Mode.Perm(), path)
	}
	return e
}
