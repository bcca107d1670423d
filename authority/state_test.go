package authority_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority"
)

// stateUses are every way jwtrace reads a state directory: authority
// serve (New), jwtrace mint (StateKey), authority rotate and keys.
var stateUses = []struct {
	name string
	use  func(dir string) error
}{
	{"New (authority serve)", func(dir string) error {
		_, err := authority.New(authority.Config{StateDir: dir, URL: "http://127.0.0.1:9400"})
		return err
	}},
	{"StateKey (mint)", func(dir string) error { _, _, err := authority.StateKey(dir, "", time.Now()); return err }},
	{"Rotate", func(dir string) error { _, err := authority.Rotate(dir, "", time.Now()); return err }},
	{"Keys", func(dir string) error { _, err := authority.Keys(dir); return err }},
	{"PublicJWKS", func(dir string) error { _, err := authority.PublicJWKS(dir); return err }},
}

// newState makes a state directory holding one key, modes 0700 and 0600.
func newState(t *testing.T) (dir, keys string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "state")
	if _, err := authority.Rotate(dir, "ES256", time.Now()); err != nil {
		t.Fatal(err)
	}
	return dir, filepath.Join(dir, authority.KeysFile)
}

func keysFileBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A state directory or keys file that another local user can write could
// hold a signing key they chose: mint and serve would sign with it, and
// serve would publish it. The rule is verify's cache's (verify/cache.go):
// the user's own, and not writable by group or others; the keys file, which
// holds private keys, not readable by them either.
func TestStateThatOthersCanWriteIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("modes are ACLs on Windows")
	}
	t.Parallel()
	tests := []struct {
		name     string
		dirMode  fs.FileMode
		fileMode fs.FileMode
		want     string // in the error; "" means accepted
	}{
		{"a private directory and file are used", 0o700, 0o600, ""},
		{"a directory others can only read is used", 0o755, 0o600, ""},
		{"a group-writable directory is refused", 0o770, 0o600, "chmod 700"},
		{"a world-writable directory is refused", 0o777, 0o600, "chmod 700"},
		{"a directory only others can write is refused", 0o703, 0o600, "chmod 700"},
		{"a group-writable keys file is refused", 0o700, 0o620, "chmod 600"},
		{"a world-writable keys file is refused", 0o700, 0o606, "chmod 600"},
		{"a keys file others can read is refused", 0o700, 0o644, "chmod 600"},
	}
	for _, tt := range tests {
		for _, u := range stateUses {
			t.Run(tt.name+": "+u.name, func(t *testing.T) {
				dir, keys := newState(t)
				before := keysFileBytes(t, keys)
				if err := os.Chmod(keys, tt.fileMode); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(dir, tt.dirMode); err != nil {
					t.Fatal(err)
				}
				err := u.use(dir)
				if tt.want == "" {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					return
				}
				if err == nil {
					t.Fatal("accepted")
				}
				path := dir
				if strings.Contains(tt.want, "600") {
					path = keys
				}
				msg := err.Error()
				if !strings.Contains(msg, path) || !strings.Contains(msg, tt.want) || !strings.Contains(msg, fmt.Sprintf("mode %04o", tt.fileMode)) && !strings.Contains(msg, fmt.Sprintf("mode %04o", tt.dirMode)) {
					t.Errorf("error %q should name %s, its mode and the fix %q", msg, path, tt.want)
				}
				if string(keysFileBytes(t, keys)) != string(before) {
					t.Error("the keys file was rewritten")
				}
			})
		}
	}
}

func TestStateThatIsNotADirectoryOrFileIsRefused(t *testing.T) {
	t.Parallel()
	t.Run("a state directory that is a file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "state")
		os.WriteFile(f, []byte("{}"), 0o600)
		for _, u := range stateUses {
			if err := u.use(f); err == nil || !strings.Contains(err.Error(), "not a directory") {
				t.Errorf("%s: %v", u.name, err)
			}
		}
	})
	t.Run("a keys file that is a directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "state")
		os.MkdirAll(filepath.Join(dir, authority.KeysFile), 0o700)
		for _, u := range stateUses {
			if err := u.use(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("%s: %v", u.name, err)
			}
		}
	})
	t.Run("a keys file that is a named pipe is not opened", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("no mkfifo")
		}
		dir := filepath.Join(t.TempDir(), "state")
		os.MkdirAll(dir, 0o700)
		if err := syscall.Mkfifo(filepath.Join(dir, authority.KeysFile), 0o600); err != nil {
			t.Skip("mkfifo:", err)
		}
		done := make(chan error, 1)
		go func() { _, err := authority.Keys(dir); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("Keys: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Keys blocked opening a named pipe")
		}
	})
}

// chownOrSkip gives path to uid 65534 (nobody), as another local user
// would own it; only root can, so other runs skip.
func chownOrSkip(t *testing.T, path string) {
	t.Helper()
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Skipf("cannot give %s to another user (uid 65534) without root: %v", path, errors.Unwrap(err))
	}
}

func TestStateOwnedByAnotherUserIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("ownership is an ACL on Windows")
	}
	t.Parallel()
	for _, which := range []string{"state directory", "keys file"} {
		for _, u := range stateUses {
			t.Run("a "+which+" of another user: "+u.name, func(t *testing.T) {
				dir, keys := newState(t)
				path := dir
				if which == "keys file" {
					path = keys
				}
				chownOrSkip(t, path)
				err := u.use(dir)
				if err == nil {
					t.Fatal("accepted")
				}
				if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "uid 65534") || !strings.Contains(msg, "another user") {
					t.Errorf("error %q should name %s and its owner", msg, path)
				}
			})
		}
	}
}

// What jwtrace writes: a directory 0700 (parents too), the keys file 0600,
// whatever the umask, by rename, so no temporary file is left behind.
func TestStateIsWrittenPrivatelyAndAtomically(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "a", "b", "state")
	for i := range 3 {
		if _, err := authority.Rotate(dir, "", time.Now()); err != nil {
			t.Fatalf("rotation %d: %v", i+1, err)
		}
	}
	for _, d := range []string{filepath.Join(root, "a"), filepath.Join(root, "a", "b"), dir} {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v, want mode 0700", d, fi.Mode(), err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != authority.KeysFile {
		t.Errorf("the state directory holds %v, want only %s", entries, authority.KeysFile)
	}
	if fi, err := os.Stat(filepath.Join(dir, authority.KeysFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("keys file: %v %v, want mode 0600", fi.Mode(), err)
	}
	if keys, err := authority.Keys(dir); err != nil || len(keys) != 3 {
		t.Errorf("Keys: %d, %v", len(keys), err)
	}
	// Reading a missing directory makes nothing.
	missing := filepath.Join(root, "missing")
	if keys, err := authority.Keys(missing); err != nil || len(keys) != 0 {
		t.Errorf("Keys of a missing directory: %v %v", keys, err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Keys made %s", missing)
	}
}

// A keys file larger than any real one is refused without being read
// whole.
func TestHugeKeysFileIsRefused(t *testing.T) {
	t.Parallel()
	dir, keys := newState(t)
	f, err := os.OpenFile(keys, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(64 << 20) // sparse
	f.Close()
	if _, err := authority.Keys(dir); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Keys: %v", err)
	}
}
