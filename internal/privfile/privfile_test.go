//go:build unix

package privfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func problem(err error) Problem {
	var e *Error
	if errors.As(err, &e) {
		return e.Problem
	}
	return 0
}

func TestCheckAppliesTheRule(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mk := func(name string, mode os.FileMode, isDir bool) string {
		p := filepath.Join(dir, name)
		var err error
		if isDir {
			err = os.Mkdir(p, 0o700)
		} else {
			err = os.WriteFile(p, nil, 0o600)
		}
		if err == nil {
			err = os.Chmod(p, mode)
		}
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		path string
		rule Rule
		want Problem
	}{
		{"a private file is fine", mk("f600", 0o600, false), Rule{Secret: true}, 0},
		{"a file others can read is fine when it holds no secret", mk("f644", 0o644, false), Rule{}, 0},
		{"a file others can read is refused when it holds secrets", mk("f644s", 0o644, false), Rule{Secret: true}, Readable},
		{"a file its group can write is refused", mk("f620", 0o620, false), Rule{}, Writable},
		{"a directory others can only read is fine without secrets", mk("d755", 0o755, true), Rule{Dir: true}, 0},
		{"a directory others can read is refused with secrets", mk("d750", 0o750, true), Rule{Dir: true, Secret: true}, Readable},
		{"a directory others can write is refused", mk("d777", 0o777, true), Rule{Dir: true}, Writable},
		{"a directory is not a file", mk("d700", 0o700, true), Rule{}, WrongKind},
		{"a file is not a directory", mk("f600b", 0o600, false), Rule{Dir: true}, WrongKind},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := problem(Stat(tt.path, tt.rule)); got != tt.want {
				t.Errorf("problem %d, want %d", got, tt.want)
			}
		})
	}
	t.Run("a symbolic link is not a regular file, whatever it points at", func(t *testing.T) {
		link := filepath.Join(dir, "link")
		if err := os.Symlink(filepath.Join(dir, "f600"), link); err != nil {
			t.Fatal(err)
		}
		if got := problem(Stat(link, Rule{})); got != WrongKind {
			t.Errorf("problem %d, want WrongKind", got)
		}
	})
	t.Run("a named pipe is not a regular file", func(t *testing.T) {
		fifo := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skip(err)
		}
		if got := problem(Stat(fifo, Rule{})); got != WrongKind {
			t.Errorf("problem %d, want WrongKind", got)
		}
	})
	t.Run("a file of another user is refused, with both uids", func(t *testing.T) {
		p := mk("theirs", 0o600, false)
		if err := os.Chown(p, os.Getuid()+1, -1); err != nil {
			t.Skip("cannot chown here:", err)
		}
		err := Stat(p, Rule{})
		var e *Error
		if !errors.As(err, &e) || e.Problem != OtherOwner || e.Owner != os.Getuid()+1 || e.Me != os.Getuid() {
			t.Fatalf("got %#v", err)
		}
	})
	t.Run("the caller's words replace the default ones", func(t *testing.T) {
		err := Stat(filepath.Join(dir, "d777"), Rule{Dir: true})
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Error(), "group or others can write it") {
			t.Fatalf("default words: %v", err)
		}
		e.Msg = "the cache has mode 0777"
		if e.Error() != "the cache has mode 0777" {
			t.Fatalf("caller's words: %v", e)
		}
	})
}

func TestWriteFileAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "keys.json")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "new" {
		t.Fatalf("read %q, %v", b, err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 (whatever the old file's)", fi.Mode().Perm())
	}
	t.Run("a failed rename leaves no temporary file", func(t *testing.T) {
		target := filepath.Join(dir, "a-directory")
		if err := os.MkdirAll(filepath.Join(target, "inside"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := WriteFileAtomic(target, []byte("x")); err == nil {
			t.Fatal("renamed a file over a non-empty directory")
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".tmp-") {
				t.Errorf("left %s behind", e.Name())
			}
		}
	})
}
