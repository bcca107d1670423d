package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/privfile"
	"github.com/jwtrace/jwtrace/internal/ui"
	"github.com/jwtrace/jwtrace/login"
	"github.com/jwtrace/jwtrace/verify"
)

func TestExitCodeOfEveryKindOfResult(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"no error is success", nil, ExitOK},
		{"a report that says REJECTED", reported(outcomeRejected), ExitRejected},
		{"decode's notes on a malformed token", reported(outcomeMalformed), ExitUsage},
		{"a failure said as it happened", reported(outcomeUnavailable), ExitUnavailable},
		{"a port in use", &unavailableError{errors.New("cannot listen")}, ExitUnavailable},
		{"a usage error", &usageError{errors.New("bad flag")}, ExitUsage},
		{"an input error", &inputError{errors.New("no cache directory")}, ExitUsage},
		{"an unreadable input", decode.ErrEmpty, ExitUsage},
		{"a rule set that cannot be used", &verify.RuleError{Msg: "x"}, ExitUsage},
		{"a cache others could write", &login.CacheError{Path: "p", Problem: "has mode", Fix: "chmod"}, ExitUsage},
		{"a state directory others could write", fmt.Errorf("the authority's key: %w", &privfile.Error{Path: "d", Problem: privfile.Writable}), ExitUsage},
		{"an unreachable authority", &verify.FetchError{URL: "https://x", Err: errors.New("refused")}, ExitUnavailable},
		{"a denied login", &login.DeniedError{Code: "access_denied"}, ExitDenied},
		{"an interrupt", fmt.Errorf("reading: %w", context.Canceled), ExitInterrupted},
		{"an error of no known type is exit 1, not a usage error", errors.New("something else"), ExitRejected},
		{"a failed rename is exit 1", &os.LinkError{Op: "rename", Old: "a", New: "b", Err: syscall.EACCES}, ExitRejected},
		{"a reader that went away is exit 1", &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}, ExitRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exitCode(tt.err); got != tt.want {
				t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestAReportedFailureIsNotSaidAgain(t *testing.T) {
	t.Parallel()
	for _, err := range []error{reported(outcomeRejected), reported(outcomeMalformed), &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}} {
		if msg := errorMessage(err, "jwtrace decode"); msg != "" {
			t.Errorf("%v: stderr gets %q, want nothing", err, msg)
		}
	}
}

// jwtrace decode TOKEN | head -0: the reader is gone before the output is
// written. The exit is 1, and nothing is said on stderr.
func TestABrokenPipeExitsQuietly(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	var errOut strings.Builder
	s := &ui.Streams{In: strings.NewReader(""), Out: w, ErrOut: &errOut, Env: []string{"TERM=dumb"}}
	code := RunWith(context.Background(), testDeps(t, s, fixedNow), []string{"decode", strings.TrimSpace(testdataFile(t, "access.jwt"))})
	if code != ExitRejected || errOut.String() != "" {
		t.Fatalf("exit %d, stderr %q; want 1 and nothing", code, errOut.String())
	}
}

// A state directory that cannot be made (its parent is a file) is not a
// mistake in the command line: exit 1, with the reason.
func TestAFailureOfNoKnownKindExitsOne(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r := jwtrace(t, context.Background(), &ui.Streams{}, "authority", "rotate", "--state", filepath.Join(file, "state"))
	if r.code != ExitRejected || !strings.Contains(r.errOut, "not a directory") || strings.Contains(r.errOut, "--help") {
		t.Fatalf("exit %d, stderr %q; want 1 and the reason", r.code, r.errOut)
	}
}

func TestCobrasOwnErrorsAreUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"nope"}, {"introspect", "a", "b"}} {
		r := jwtrace(t, context.Background(), &ui.Streams{}, args...)
		if r.code != ExitUsage || r.errOut == "" {
			t.Errorf("%q: exit %d, stderr %q; want 2 and cobra's words", args, r.code, r.errOut)
		}
	}
}

func TestAPortInUseExitsThree(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	r := jwtrace(t, context.Background(), &ui.Streams{}, "authority", "serve", "--ephemeral", "--addr", addr)
	if r.code != ExitUnavailable || !strings.Contains(r.errOut, "jwtrace: cannot listen on "+addr) || !strings.Contains(r.errOut, "pick another --addr") {
		t.Fatalf("exit %d, stderr %q", r.code, r.errOut)
	}
}

// Runs of jwtrace at the same time share nothing: under -race, the
// version template cobra.AddTemplateFunc wrote into a cobra global was
// a data race between two runs.
func TestRunsInParallelShareNoState(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			var out strings.Builder
			s := &ui.Streams{In: strings.NewReader(""), Out: &out, ErrOut: io.Discard, Env: []string{"TERM=dumb"}}
			if code := RunWith(context.Background(), testDeps(t, s, fixedNow), []string{"--version"}); code != 0 || !strings.HasPrefix(out.String(), "jwtrace ") {
				t.Errorf("exit %d, stdout %q", code, out.String())
			}
		})
	}
	wg.Wait()
}

// An opaque token that starts with "-" is not taken for flags silently,
// nor printed whole in the error: the user is told to put -- before it.
func TestATokenThatStartsWithADashIsNotAFlag(t *testing.T) {
	t.Parallel()
	tok := "-sDr2m1qzU9wtPlaP3BtnKzyHKxt74RK6YaGGvkYQrA"
	for _, args := range [][]string{
		{"verify", "--skip-issuer", "--skip-audience", "--secret", "a-secret-of-at-least-32-bytes-long!!", tok},
		{"decode", tok},
		{"introspect", "--introspection-endpoint", "http://127.0.0.1:1/introspect", "--client-id", "c", "--client-secret", "s", tok},
	} {
		r := jwtrace(t, context.Background(), &ui.Streams{}, args...)
		if r.code != ExitUsage || !strings.Contains(r.errOut, "it looks like a token that starts with \"-\"; put -- before it") || strings.Contains(r.errOut, tok) {
			t.Errorf("%s: exit %d:\n%s", args[0], r.code, r.errOut)
		}
	}
	// With -- it is the token.
	r := jwtrace(t, context.Background(), &ui.Streams{}, "decode", "--", tok)
	if strings.Contains(r.errOut, "not a flag") {
		t.Errorf("decode -- TOKEN:\n%s", r.errOut)
	}
	// A mistyped flag is still a mistyped flag.
	r = jwtrace(t, context.Background(), &ui.Streams{}, "decode", "-x")
	if r.code != ExitUsage || strings.Contains(r.errOut, "looks like a token") {
		t.Errorf("decode -x:\n%s", r.errOut)
	}
}
