// Package privfile is the one rule for the files jwtrace keeps for the
// user (the token cache, the discovery cache, the authority's keys, the
// configuration) and the one way to write them: a temporary file of mode
// 0600 renamed into place.
//
// The rule, on Unix: the file or directory is of the kind expected, it
// belongs to the user, group and others cannot write it, and, when it
// holds secrets, cannot read it either. Elsewhere only the kind is
// checked: on Windows the user's directories are private by their ACLs,
// which file modes do not show.
//
// Each caller says a refusal in its own words (and with its own fix) from
// the fields of Error.
package privfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Rule is what a file must be.
type Rule struct {
	// Dir: a directory; otherwise a regular file.
	Dir bool
	// Secret: group and others may not read it either (tokens, private
	// keys). Without it only writing is refused.
	Secret bool
}

// Problem is why a file breaks its Rule.
type Problem int

const (
	// WrongKind: not a directory, or not a regular file.
	WrongKind Problem = iota + 1
	// OtherOwner: it belongs to another user.
	OtherOwner
	// Writable: group or others can write it.
	Writable
	// Readable: group or others can read a Secret one.
	Readable
)

// Error is a file that breaks its Rule.
type Error struct {
	Path    string
	Rule    Rule
	Problem Problem
	// Mode is the file's mode.
	Mode fs.FileMode
	// Owner is the file's owner and Me the user's uid (OtherOwner).
	Owner, Me int
	// Msg is the caller's words for the problem; "" for the default.
	Msg string
}

func (e *Error) Error() string {
	if e.Msg != "" {
		return e.Msg
	}
	switch e.Problem {
	case WrongKind:
		if e.Rule.Dir {
			return e.Path + " is not a directory"
		}
		return e.Path + " is not a regular file"
	case OtherOwner:
		return fmt.Sprintf("%s belongs to another user (uid %d; you are uid %d)", e.Path, e.Owner, e.Me)
	case Writable:
		return fmt.Sprintf("%s has mode %v: group or others can write it", e.Path, e.Mode)
	default:
		return fmt.Sprintf("%s has mode %v: group or others can read it", e.Path, e.Mode)
	}
}

// GroupOnly reports whether only the group, not others, has the access
// that made the problem (for "its group can read it" wording).
func (e *Error) GroupOnly() bool { return e.Mode.Perm()&0o007 == 0 }

// Check applies r to fi, the file at path: nil, or an *Error.
func Check(path string, fi fs.FileInfo, r Rule) error {
	if r.Dir && !fi.IsDir() || !r.Dir && !fi.Mode().IsRegular() {
		return &Error{Path: path, Rule: r, Problem: WrongKind, Mode: fi.Mode()}
	}
	if !modesMean {
		return nil
	}
	if uid, ok := owner(fi); ok && uid != os.Getuid() {
		return &Error{Path: path, Rule: r, Problem: OtherOwner, Mode: fi.Mode(), Owner: uid, Me: os.Getuid()}
	}
	perm := fi.Mode().Perm()
	switch {
	case perm&0o022 != 0:
		return &Error{Path: path, Rule: r, Problem: Writable, Mode: fi.Mode()}
	case r.Secret && perm&0o044 != 0:
		return &Error{Path: path, Rule: r, Problem: Readable, Mode: fi.Mode()}
	}
	return nil
}

// Stat checks the file at path (not following a final symbolic link,
// which is then the wrong kind): nil, an *Error, or Lstat's error.
func Stat(path string, r Rule) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	return Check(path, fi, r)
}

// WriteTemp writes b to a new file of mode 0600 in dir, synced, and returns
// its name, for a rename (or link) into place. The caller removes it.
func WriteTemp(dir string, b []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(b)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// WriteFileAtomic writes b to path with mode 0600: to a temporary file in
// the same directory, renamed over path, so a reader sees the old file or
// the new one, never a part.
func WriteFileAtomic(path string, b []byte) error {
	tmp, err := WriteTemp(filepath.Dir(path), b)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
