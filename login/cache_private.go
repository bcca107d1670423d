package login

import (
	"errors"
	"fmt"
	"os"

	"github.com/jwtrace/jwtrace/internal/privfile"
)

// private refuses a cache directory or file that is not of the kind
// expected, not the user's own, or that others can read or write: the rule
// of privfile for secrets, with the fix in the message.
func private(p string, fi os.FileInfo, dir bool) error {
	err := privfile.Check(p, fi, privfile.Rule{Dir: dir, Secret: true})
	var e *privfile.Error
	if !errors.As(err, &e) {
		return err
	}
	const other = "or set JWTRACE_CACHE_DIR to a directory of your own"
	switch e.Problem {
	case privfile.WrongKind:
		kind := "a directory"
		if !dir {
			kind = "a regular file"
		}
		return &CacheError{Path: p, Problem: "is not " + kind, Fix: "remove it, " + other}
	case privfile.OtherOwner:
		return &CacheError{Path: p, Problem: fmt.Sprintf("belongs to another user (uid %d, you are uid %d): that user could have put a token there, or can read yours", e.Owner, e.Me),
			Fix: fmt.Sprintf("set JWTRACE_CACHE_DIR to a directory of your own, or remove it (or chown %d %s, if you trust what is in it)", e.Me, p)}
	}
	who := "other users"
	if e.GroupOnly() {
		who = "its group"
	}
	what := "read it, and so your tokens"
	if e.Problem == privfile.Writable {
		what = "write it, and so plant a token jwtrace would print"
	}
	want := "600"
	if dir {
		want = "700"
	}
	return &CacheError{Path: p, Problem: fmt.Sprintf("has mode %v: %s can %s", e.Mode, who, what),
		Fix: fmt.Sprintf("chmod %s %s, %s", want, p, other)}
}
