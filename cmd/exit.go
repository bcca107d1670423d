package cmd

import (
	"context"
	"errors"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/login"
	"github.com/jwtrace/jwtrace/verify"
)

// Exit codes.
const (
	ExitOK          = 0   // success: decoded, valid, accepted, logged in
	ExitRejected    = 1   // a check failed: token rejected, a rule not met
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

// silentError carries an exit code for a failure the command has already
// reported itself.
type silentError struct{ code int }

func (e *silentError) Error() string { return "" }

// exitCode decides the process's exit code from an error. It is the one
// place that does: logic packages return typed errors, and this maps them.
// Errors of no known type are input errors (an unreadable file, say).
func exitCode(err error) int {
	var (
		silent  *silentError
		fetch   *verify.FetchError
		denied  *login.DeniedError
		server  *login.ServerError
		timeout *timeoutError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &silent):
		return silent.code
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &fetch), errors.As(err, &server), errors.As(err, &timeout):
		return ExitUnavailable
	case errors.As(err, &denied):
		return ExitDenied
	default:
		// usageError, decode.InputError, decode.Error and the rest.
		return ExitUsage
	}
}

// errorMessage is how an error reads on stderr (without the "jwtrace: "
// prefix): decode errors carry their diagnostic code, usage errors a hint
// naming the command's own help.
func errorMessage(err error, command string) string {
	var (
		tokErr *decode.Error
		input  *decode.InputError
		usage  *usageError
	)
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
