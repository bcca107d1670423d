package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/ui"
	"github.com/jwtrace/jwtrace/verify"
)

type decodeOptions struct {
	streams *ui.Streams
	now     func() time.Time
	ctx     context.Context

	file     string
	tokenEnv string
	json     bool
	explain  bool
	// explainSet is true when --explain was given either way.
	explainSet bool
	at         string
	args       []string
	// validator shows the claims as that library hands them to the
	// application.
	validator string
}

func newDecodeCmd(d *Deps) *cobra.Command {
	s, now := d.Streams, d.Now
	opts := &decodeOptions{streams: s, now: now}
	cmd := &cobra.Command{
		Use:   "decode [TOKEN | -]",
		Short: "Show a token's header, claims and times, and what looks wrong",
		Long: `Decode shows a token's header and claims in the token's own key order, its
times as RFC 3339 UTC with local and relative forms, its status, and
diagnostics (each with a code) for anything that looks wrong.

It takes what you paste: a bare JWT, "Bearer <jwt>", a whole
"Authorization: Bearer <jwt>" line or curl -H argument, a redirect URL or
fragment with id_token= or access_token=, a JSON token response (every JWT in
it is decoded and labelled), or text such as a log line with a JWT in it.
Quotes, surrounding whitespace and line breaks inside the token are ignored.

The input comes from the arguments, from --file, from --token-env NAME, or
from stdin ("-" or no argument); at a terminal with none of these,
$JWTRACE_TOKEN is decoded when set. Decode never checks the signature: use
jwtrace verify for that.

Exit status: 0 when a token was decoded, 2 when the input holds no token or
the token is malformed.`,
		Example: `  jwtrace decode eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSJ9.c2ln
  jwtrace decode 'Authorization: Bearer eyJhbGciOi...'
  jwtrace decode --file testdata/tokens/access.jwt
  curl -s -d grant_type=client_credentials ... https://idp/token | jwtrace decode
  jwtrace decode --json --file token.jwt | jq .claims.aud
  jwtrace decode --at 2026-11-27T10:42:00Z --file token.jwt`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.args = args
			opts.ctx = cmd.Context()
			opts.explainSet = cmd.Flags().Changed("explain")
			return runDecode(opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.file, "file", "f", "", "read the input from `FILE` (- for stdin)")
	f.StringVar(&opts.tokenEnv, "token-env", "", "read the input from the environment variable `NAME`")
	f.BoolVar(&opts.json, "json", false, "print one JSON object per token (JSON Lines when not a terminal)")
	f.BoolVar(&opts.explain, "explain", false, "explain well-known header and claim names (default: on at a terminal)")
	f.StringVar(&opts.validator, "validator", "", "also show the claims as the validator `LIBRARY` hands them to the application (aspnetcore's claim map; jwtrace validators lists them)")
	f.StringVar(&opts.at, "at", "", "evaluate the times at `TIME` (RFC 3339, YYYY-MM-DD, Unix seconds, or a duration from now: -1h, +10m) instead of now")
	_ = cmd.MarkFlagFilename("file")
	return cmd
}

func runDecode(opts *decodeOptions) error {
	s := opts.streams
	now := opts.now()
	if opts.at != "" {
		t, err := parseAtFlag(opts.at, now)
		if err != nil {
			return &usageError{fmt.Errorf("--at: %w", err)}
		}
		now = t
	}
	var prof *verify.Profile
	if opts.validator != "" {
		if prof = verify.LookupProfile(opts.validator); prof == nil {
			return &usageError{unknownValidator(opts.validator)}
		}
	}
	input, err := readDecodeInput(opts)
	if err != nil {
		return err
	}
	res, err := decode.Decode(input, decode.Options{Now: now})
	if res == nil {
		return err
	}
	for _, f := range res.Failed {
		if len(res.Failed) > 1 || len(res.Tokens) > 0 {
			fmt.Fprintln(s.ErrOut, "jwtrace: "+ui.Safe(f.Error()))
		}
	}
	for _, n := range res.Notes {
		fmt.Fprintln(s.ErrOut, "note: "+ui.Safe(n))
	}
	if err != nil {
		return err
	}

	if opts.json {
		pretty := s.StdoutIsTerminal()
		for _, t := range res.Tokens {
			var v any = t
			if prof != nil {
				v = withApplication{t, prof.AppView(t.Claims)}
			}
			if err := ui.WriteJSON(s.Out, v, pretty); err != nil {
				return err
			}
		}
	} else {
		explain := opts.explain
		if !opts.explainSet {
			explain = s.StdoutIsTerminal()
		}
		// The zone is loaded here, not where the renderer first asks for
		// it: loading reads /etc/localtime with a 4 KiB buffer on the
		// stack, and that deep under the renderer grew the goroutine's
		// stack (a copy that walks every frame: 10% of decode's run).
		local := s.Local()
		_ = local.String()
		view := ui.DecodeView{Explain: explain, Local: local}
		if err := s.Printer(s.Out).Tokens(res.Tokens, view); err != nil {
			return err
		}
		if prof != nil {
			for _, t := range res.Tokens {
				s.Printer(s.Out).AppClaims(prof, prof.AppView(t.Claims))
			}
		}
	}
	if !res.OK() {
		fmt.Fprintln(s.ErrOut, "jwtrace: the token is malformed (see the notes above)")
		return reported(outcomeMalformed)
	}
	return nil
}

// withApplication is a token's JSON with an "application" member: its
// claims as a validator hands them to the application (null when the
// library renames none).
type withApplication struct {
	tok *decode.Token
	app *verify.AppView
}

func (w withApplication) MarshalJSON() ([]byte, error) {
	tb, err := json.Marshal(w.tok)
	if err != nil {
		return nil, err
	}
	ab, err := json.Marshal(w.app)
	if err != nil {
		return nil, err
	}
	tb = bytes.TrimRight(tb, " \n")
	if len(tb) < 2 || tb[len(tb)-1] != '}' {
		return tb, nil
	}
	return append(append(append(tb[:len(tb)-1:len(tb)-1], `,"application":`...), ab...), '}'), nil
}

// readDecodeInput gets decode's input from --file, the arguments,
// --token-env, stdin, or $JWTRACE_TOKEN.
func readDecodeInput(opts *decodeOptions) ([]byte, error) {
	if b, ok, err := envInput(opts.streams, opts.tokenEnv, opts.file, opts.args); ok || err != nil {
		return b, err
	}
	return readInput(opts.ctx, opts.streams, opts.file, opts.args,
		"  jwtrace decode 'eyJhbGciOi...'\n  pbpaste | jwtrace decode\n  jwtrace decode --token-env TOKEN")
}

// envInput is the token input from the environment, the way chain takes
// it: --token-env NAME (with no other input), or, when nothing else was
// given and stdin is a terminal (not a pipe, which wins), $JWTRACE_TOKEN.
// ok is false when the input is to be read elsewhere.
func envInput(s *ui.Streams, tokenEnv, file string, args []string) (b []byte, ok bool, err error) {
	if tokenEnv != "" {
		if file != "" || len(args) > 0 {
			return nil, false, &usageError{errors.New("give the token one way: as an argument, with --file, or with --token-env")}
		}
		v := s.Getenv(tokenEnv)
		if strings.TrimSpace(v) == "" {
			return nil, false, &usageError{fmt.Errorf("--token-env %s: the variable is empty or not set", tokenEnv)}
		}
		return []byte(v), true, nil
	}
	if file == "" && len(args) == 0 && s.StdinIsTerminal() {
		if v := s.Getenv("JWTRACE_TOKEN"); strings.TrimSpace(v) != "" {
			return []byte(v), true, nil
		}
	}
	return nil, false, nil
}

// readInput gets a command's token input from --file, the arguments, or
// stdin. examples shows how, when nothing was given at a terminal.
func readInput(ctx context.Context, s *ui.Streams, file string, args []string, examples string) ([]byte, error) {
	fromStdin := file == "-" || (file == "" && len(args) == 1 && args[0] == "-")
	switch {
	case file != "" && len(args) > 0:
		return nil, &usageError{errors.New("give the token either as an argument or with --file, not both")}
	case fromStdin && s.StdinIsTerminal():
		// Asked for explicitly: let a person paste, with a warning about the
		// terminal's line limit.
		fmt.Fprintln(s.ErrOut, "Paste the token, then press Enter and Ctrl-D. (Terminals cut lines after 4095 characters; for longer tokens use an argument or a pipe.)")
		return readContext(ctx, s.In)
	case fromStdin:
		return readContext(ctx, s.In)
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			return nil, &usageError{fmt.Errorf("cannot read the input: %w", err)}
		}
		defer f.Close()
		return readContext(ctx, f)
	case len(args) > 0:
		// Unquoted pastes arrive split: "Bearer", "eyJ...". Join them back.
		return []byte(strings.Join(args, " ")), nil
	case s.StdinIsTerminal():
		return nil, &usageError{errors.New("no token given: pass it as an argument, pipe it on stdin, or use --file\n" + examples)}
	default:
		return readContext(ctx, s.In)
	}
}

// readContext reads r (up to decode's input limit) unless ctx ends first:
// a read from a terminal or a silent pipe cannot be cancelled, and Ctrl-C
// must still end jwtrace at once.
func readContext(ctx context.Context, r io.Reader) ([]byte, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if f, ok := r.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			// A file (--file, or stdin redirected from one) never
			// blocks: read it here, without a goroutine to wait on, which
			// costs a thread at start-up.
			return decode.ReadLimitedHint(r, fi.Size())
		}
	}
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := decode.ReadLimited(r)
		done <- result{b, err}
	}()
	// Piped input is usually there at once: take it before asking the
	// context, whose Done installs the Ctrl-C handler (a thread) in a
	// command that had no need of one; a Ctrl-C before then ends the
	// process the default way (exit 130, nothing printed).
	quick := time.NewTimer(50 * time.Millisecond)
	select {
	case res := <-done:
		quick.Stop()
		return res.b, res.err
	case <-quick.C:
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case res := <-done:
		return res.b, res.err
	}
}
