package authority

import (
	"errors"
	"fmt"
	"os"

	"github.com/jwtrace/jwtrace/internal/privfile"
)

// privateState refuses a state directory or keys file that another local
// user could have put a signing key in: one that is not the user's own, or
// that group or others can write; and a keys file, which holds private
// keys, that they can read. The rule is privfile's (a directory others can
// only read is allowed: it shows them no more than file names); the words
// are the authority's.
func privateState(path string, fi os.FileInfo, dir bool) error {
	err := privfile.Check(path, fi, privfile.Rule{Dir: dir, Secret: !dir})
	var e *privfile.Error
	if !errors.As(err, &e) {
		return err
	}
	what := "authority keys file"
	if dir {
		what = "authority state directory"
	}
	perm := e.Mode.Perm()
	switch {
	case e.Problem == privfile.WrongKind && dir:
		e.Msg = fmt.Sprintf("the %s %s is not a directory; give a directory of your own", what, path)
	case e.Problem == privfile.WrongKind:
		e.Msg = fmt.Sprintf("the %s %s is not a regular file (%v); remove it, and jwtrace makes a new key", what, path, e.Mode.Type())
	case e.Problem == privfile.OtherOwner:
		e.Msg = fmt.Sprintf("the %s %s belongs to another user (uid %d; you are uid %d), who could have planted a signing key in it; use a state directory of your own", what, path, e.Owner, e.Me)
	case dir:
		e.Msg = fmt.Sprintf("the %s %s has mode %04o: group or others can write to it and could plant a signing key; if you trust its keys, fix it with: chmod 700 %s", what, path, perm, path)
	default:
		e.Msg = fmt.Sprintf("the %s %s has mode %04o: group or others can read or write the private keys in it; if you trust its keys, fix it with: chmod 600 %s (and rotate if others may have read them)", what, path, perm, path)
	}
	return e
}
