package report

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jwtrace/jwtrace/chain"
)

// ChainFlags are jwtrace chain's report flags: --junit FILE, --html FILE
// and --annotate.
type ChainFlags struct {
	JUnit, HTML string
	Annotate    bool
}

// Write writes the reports the flags ask for, after the terminal (or
// --json) report: the files, then, when $GITHUB_ACTIONS is true, the
// workflow commands to stderr (see annotate.go for why stderr). With
// --annotate outside GitHub Actions it says on stderr that it wrote none.
// Every file is tried; the error names each that failed.
func (f *ChainFlags) Write(rep *chain.Report, info Chain, getenv func(string) string, stderr io.Writer) error {
	var errs []error
	if f.JUnit != "" {
		errs = append(errs, WriteFile("--junit", f.JUnit, ChainJUnit(rep, info)))
	}
	if f.HTML != "" {
		errs = append(errs, WriteFile("--html", f.HTML, ChainHTML(rep, info)))
	}
	if f.Annotate {
		if getenv("GITHUB_ACTIONS") == "true" {
			if err := WriteAnnotations(stderr, rep, info.Source); err != nil {
				errs = append(errs, fmt.Errorf("--annotate: %w", err))
			}
		} else {
			fmt.Fprintln(stderr, "note: --annotate writes GitHub Actions workflow commands only when GITHUB_ACTIONS=true (in a GitHub Actions job); none written")
		}
	}
	return errors.Join(errs...)
}

// BatchFlags is verify's --junit FILE, with --batch.
type BatchFlags struct {
	JUnit string
	lines BatchLines
}

// Out is where the batch writes its JSON lines: w, and with --junit the
// results kept for the JUnit file too.
func (f *BatchFlags) Out(w io.Writer) io.Writer {
	if f.JUnit == "" {
		return w
	}
	return io.MultiWriter(w, &f.lines)
}

// Write writes the JUnit file of the batch's results, when --junit is
// given. source is the --file the tokens came from ("" or "-": stdin).
func (f *BatchFlags) Write(source string, at time.Time) error {
	if f.JUnit == "" {
		return nil
	}
	if err := f.lines.Err(); err != nil {
		return &FileError{Flag: "--junit", Path: f.JUnit, Err: fmt.Errorf("the results could not be read: %v", err)}
	}
	if source == "-" {
		source = ""
	}
	return WriteFile("--junit", f.JUnit, BatchJUnit(f.lines.Lines, Batch{Source: source, At: at}))
}
