package cmd

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jwtrace/jwtrace/chain"
)

// parseTimeFlag reads a moment given on the command line: RFC 3339, a date
// and time without zone (taken as UTC), a date, or Unix seconds.
func parseTimeFlag(v string) (time.Time, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 (2026-11-27T10:42:00Z), YYYY-MM-DD, or Unix seconds", v)
}

// parseAtFlag reads --at: a moment as parseTimeFlag takes it, or a
// duration from now as mint's time flags take one ("-1h" an hour ago,
// "+10m" in ten minutes, "-2d" two days ago).
func parseAtFlag(v string, now time.Time) (time.Time, error) {
	if t, err := parseTimeFlag(v); err == nil {
		return t, nil
	}
	if d, err := parseDays(v); err == nil {
		return now.Add(d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 (2026-11-27T10:42:00Z), YYYY-MM-DD, Unix seconds, or a duration from now (-1h, +10m, -2d)", v)
}

// durationFlag is a time.Duration flag whose mistakes read as the fix:
// "--leeway 30: give a unit: 30s" rather than Go's "time: missing unit in
// duration". Its type is "duration", as pflag's own.
type durationFlag struct {
	name string
	d    *time.Duration
}

// String is "0" for no duration, which pflag's help takes for a zero
// default (and leaves out), as it does for its own duration flags.
func (f *durationFlag) String() string {
	if *f.d == 0 {
		return "0"
	}
	return f.d.String()
}
func (f *durationFlag) Type() string { return "duration" }

func (f *durationFlag) Set(v string) error {
	d, err := time.ParseDuration(v)
	if err == nil {
		*f.d = d
		return nil
	}
	if _, nerr := strconv.ParseFloat(v, 64); nerr == nil {
		return &flagValueError{fmt.Sprintf("--%s %s: give a unit: %ss (or m, h, ms)", f.name, v, strings.TrimPrefix(v, "+"))}
	}
	return &flagValueError{fmt.Sprintf("--%s %s: not a duration: write it as 30s, 5m or 1h30m", f.name, v)}
}

// durationVar binds a durationFlag.
func durationVar(fs *pflag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var(&durationFlag{name: name, d: p}, name, usage)
}

// flagValueError is a flag value's mistake in full words: flagErrors
// shows it without pflag's "invalid argument ... for ... flag:" around it.
type flagValueError struct{ msg string }

func (e *flagValueError) Error() string { return e.msg }

// flagErrors is a command's FlagErrorFunc: a usage error, in a
// flagValueError's own words when a flag's value made one.
func flagErrors(_ *cobra.Command, err error) error {
	var fv *flagValueError
	if errors.As(err, &fv) {
		return &usageError{fv}
	}
	if arg, ok := dashedToken(err); ok {
		// An opaque token may start with "-" (one in 64 of base64url):
		// pflag takes it for flags, and its error would print it whole.
		return &usageError{fmt.Errorf("%s is not a flag: it looks like a token that starts with \"-\"; put -- before it (… -- TOKEN), or give it on stdin or with --token-env", chain.Mask(arg))}
	}
	return &usageError{err}
}

// dashedToken finds, in pflag's "unknown shorthand flag: 'x' in -xyz…" or
// "unknown flag: --xyz…", an argument that is a token rather than flags:
// long, and only the characters tokens are made of.
func dashedToken(err error) (string, bool) {
	msg := err.Error()
	var arg string
	switch {
	case strings.HasPrefix(msg, "unknown shorthand flag: ") && strings.Contains(msg, " in -"):
		arg = msg[strings.LastIndex(msg, " in -")+len(" in "):]
	case strings.HasPrefix(msg, "unknown flag: --"):
		arg = strings.TrimPrefix(msg, "unknown flag: ")
	default:
		return "", false
	}
	if len(arg) < 20 {
		return "", false
	}
	for _, r := range arg {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.~+/=", r)) {
			return "", false
		}
	}
	return arg, true
}

// checkKeyFiles catches a URL given to --key, which takes files: said
// with the flags that fetch keys, rather than "no such file".
func checkKeyFiles(files []string) error {
	for _, f := range files {
		lower := strings.ToLower(f)
		if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
			continue
		}
		if _, err := os.Stat(f); err == nil {
			continue
		}
		return &usageError{fmt.Errorf("--key %s: --key takes a file; for a URL use --jwks-url %s (a JWKS), or --authority with the issuer's URL", f, f)}
	}
	return nil
}
