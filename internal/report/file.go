package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// FileError is a report file that could not be written.
type FileError struct {
	// Flag is the flag that named the file (--junit, --html), Path the
	// file as given.
	Flag, Path string
	Err        error
}

func (e *FileError) Error() string {
	return fmt.Sprintf("%s %s: %v", e.Flag, e.Path, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// WriteFile writes data to path atomically (a temporary file in the same
// directory, renamed into place), mode 0644: a report is not secret, the
// token in it is masked unless the user asked for it whole. It refuses
// to replace a directory or anything else that is not a regular file (a
// device, a socket); a symbolic link is replaced, not followed.
func WriteFile(flag, path string, data []byte) error {
	fail := func(err error) error { return &FileError{Flag: flag, Path: path, Err: err} }
	if path == "" {
		return fail(errors.New("no file name"))
	}
	if fi, err := os.Lstat(path); err == nil {
		switch {
		case fi.IsDir():
			return fail(errors.New("is a directory: give the name of the file to write, e.g. " + filepath.Join(path, "report"+flagExt(flag))))
		case fi.Mode()&fs.ModeSymlink == 0 && !fi.Mode().IsRegular():
			return fail(errors.New("is not a regular file: give the name of a file to write"))
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fail(cause(err))
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fail(fmt.Errorf("the directory %s does not exist", dir))
		}
		return fail(fmt.Errorf("cannot write in %s: %v", dir, cause(err)))
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fail(cause(err))
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fail(cause(err))
	}
	if err := f.Close(); err != nil {
		return fail(cause(err))
	}
	// CreateTemp makes the file 0600; Chmod is not subject to the umask.
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fail(cause(err))
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(cause(err))
	}
	done = true
	return nil
}

// cause is an *fs.PathError's reason without the temporary file's name.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

func flagExt(flag string) string {
	switch flag {
	case "--junit":
		return ".xml"
	case "--html":
		return ".html"
	}
	return ""
}
