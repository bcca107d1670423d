package cmd

import (
	"context"
	"errors"

	"github.com/jwtrace/jwtrace/decode"
)

// Exit codes. The README documents the same table; readme_test.go keeps the
// two in step.
const (
	ExitOK          = 0   // success: decoded, valid, accepted, logged in
	ExitRejected    = 1   // a check failed: token rejected, a rule not met
	ExitUsage       = 2   // usage or input error: bad flags, unreadable or malformed input
	ExitUnavailable = 3   // could not complete: network, authority or TLS failure, timeout
	ExitDenied      = 4   // login denied or expired
	ExitInterrupted = 130 // interrupted (Ctrl-C)
)

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
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var (
		silent *silentError
		usage  *usageError
		input  *decode.InputError
		tokErr *decode.Error
	)
	switch {
	case errors.As(err, &silent):
		return silent.code
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &usage), errors.As(err, &input), errors.As(err, &tokErr):
		return ExitUsage
	}
	return ExitUsage
}
