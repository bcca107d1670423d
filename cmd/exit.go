package cmd

import (
	"context"
	"errors"
	"syscall"

	"github.com/jwtrace/jwtrace/chain"
	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/privfile"
	"github.com/jwtrace/jwtrace/login"
	"github.com/jwtrace/jwtrace/verify"
)

// Exit codes.
const (
	ExitOK          = 0   // success: decoded, valid, accepted, logged in
	ExitRejected    = 1   // a check failed: token rejected, a rule not met; or an unexpected failure (a file not written, a closed pipe)
	ExitUsage       = 2   // usage or input error: bad flags, unreadable or malformed input
	ExitUnavailable = 3   // could not complete: network, authority or TLS failure, timeout
	ExitDenied      = 4   // login denied or expired
	ExitInterrupted = 130 // interrupted (Ctrl-C)
)

// ExitCodes is every exit code jwtrace uses, in order; the README's table
// must list the same (readme_test.go checks).
var ExitCodes = []int{ExitOK, ExitRejected, ExitUsage, ExitUnavailable, ExitDenied, ExitInterrupted}

// usageError is a mistake in how the command was called.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// outcome is how a run ended that printed its result itself; exitCode maps
// each to its code.
type outcome int

const (
	outcomeRejected    outcome = iota + 1 // the report says why: a check failed, a hop rejected the token
	outcomeMalformed                      // the notes printed say how the input is malformed
	outcomeUnavailable                    // could not complete, said as it happened
)

// reportedError is a run that failed after showing why (the verification
// report that says REJECTED, decode's notes on a malformed token): Run
// prints nothing more, and exitCode maps its outcome.
type reportedError struct{ outcome outcome }

func (e *reportedError) Error() string {
	switch e.outcome {
	case outcomeRejected:
		return "rejected (the report above says why)"
	case outcomeMalformed:
		return "malformed input (the notes above say how)"
	default:
		return "could not complete (said above)"
	}
}

// reported is the error of a run that has shown its failure itself.
func reported(o outcome) error { return &reportedError{o} }

// unavailableError is a run that could not complete for a reason of the
// machine or the network, not of the input (a port in use): exit 3.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return e.err.Error() }
func (e *unavailableError) Unwrap() error { return e.err }

// inputError is a usage or input error said in full, without the --help
// hint: one cobra made before any command ran (an unknown command, an
// argument count a command refuses), or a thing missing that the command
// needs (a cache directory).
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// exitCode decides the process's exit code from an error. It is the one
// place that does: commands and logic packages return typed errors, and
// this maps them. An error of no known type is an unexpected failure (a
// file that could not be written, say): exit 1, never the usage error 2.
func exitCode(err error) int {
	var (
		shown     *reportedError
		fetch     *verify.FetchError
		denied    *login.DeniedError
		server    *login.ServerError
		timeout   *timeoutError
		unavail   *unavailableError
		usage     *usageError
		inputErr  *inputError
		flagValue *flagValueError
		input     *decode.InputError
		malformed *decode.Error
		rules     *verify.RuleError
		keyFile   *verify.KeyFileError
		secret    *verify.SecretError
		badURL    *verify.URLError
		chainFile *chain.FileError
		hop       *chain.HopError
		config    *login.ConfigError
		cache     *login.CacheError
		redirect  *login.RedirectError
		unsafe    *privfile.Error
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &shown):
		switch shown.outcome {
		case outcomeRejected:
			return ExitRejected
		case outcomeMalformed:
			return ExitUsage
		case outcomeUnavailable:
			return ExitUnavailable
		}
		return ExitRejected
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case isBrokenPipe(err):
		// The reader went away (jwtrace decode | head -0): not a usage
		// error, and nothing to say about it.
		return ExitRejected
	case errors.As(err, &fetch), errors.As(err, &server), errors.As(err, &timeout), errors.As(err, &unavail):
		return ExitUnavailable
	case errors.As(err, &denied):
		return ExitDenied
	case errors.As(err, &usage), errors.As(err, &inputErr), errors.As(err, &flagValue),
		errors.As(err, &input), errors.As(err, &malformed),
		errors.As(err, &rules), errors.As(err, &keyFile), errors.As(err, &secret), errors.As(err, &badURL),
		errors.As(err, &chainFile), errors.As(err, &hop),
		errors.As(err, &config), errors.As(err, &cache), errors.As(err, &redirect),
		errors.As(err, &unsafe):
		// Mistakes in how jwtrace was called or in what it was given
		// (including a cache or state directory others could write).
		return ExitUsage
	default:
		return ExitRejected
	}
}

// isBrokenPipe reports a write to a reader that has gone (EPIPE).
func isBrokenPipe(err error) bool { return errors.Is(err, syscall.EPIPE) }

// errorMessage is how an error reads on stderr (without the "jwtrace: "
// prefix): decode errors carry their diagnostic code, usage errors a hint
// naming the command's own help.
func errorMessage(err error, command string) string {
	var (
		tokErr *decode.Error
		input  *decode.InputError
		usage  *usageError
	)
	var shown *reportedError
	if errors.As(err, &shown) || isBrokenPipe(err) {
		return ""
	}
	msg := err.Error()
	switch {
	case errors.As(err, &tokErr):
		msg += " [" + tokErr.Code + "]"
	case errors.As(err, &input) && input == decode.ErrEmpty:
		msg += ": give a token as an argument, on stdin, or with --file"
	case errors.As(err, &input) && input.FileName != "":
		msg += "; to read a file use --file " + input.FileName
	case errors.As(err, &usage):
		msg += "\nRun '" + command + " --help' for usage."
	}
	return msg
}
