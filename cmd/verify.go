package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/ui"
	"github.com/jwtrace/jwtrace/verify"
	"github.com/jwtrace/jwtrace/verify/explain"
)

type verifyOptions struct {
	streams *ui.Streams
	now     func() time.Time
	ctx     context.Context

	authority, jwksURL string
	keyFiles           []string
	secret             string
	allowWeakSecret    bool

	issuers, tenants []string
	skipIssuer       bool
	audiences        []string
	skipAudience     bool
	allowNoExp       bool
	leeway           time.Duration
	at               string
	algs             []string
	typ              string
	typGiven         bool
	require          []string
	scopes           []string

	json, batch bool
	file        string
	tokenEnv    string
	args        []string

	timeout time.Duration
	http    httpFlags
}

func newVerifyCmd(s *ui.Streams, now func() time.Time) *cobra.Command {
	opts := &verifyOptions{streams: s, now: now}
	cmd := &cobra.Command{
		Use:   "verify [TOKEN | -]",
		Short: "Check a token's signature and rules, and report every check",
		Long: `Verify checks a token's signature against an authority's keys (OIDC
discovery, then its JWKS), a JWKS URL, local key files or a shared secret,
and checks its rules: issuer, audience, expiry, not-before, issued-at, and
optionally type, required claims and scopes. Every check is reported with
what was expected and what was found.

Issuer and audience rules are required: give --issuer (or --authority, whose
discovery document names the issuer) and --audience, or say --skip-issuer /
--skip-audience explicitly. Issuer templates such as
https://login.microsoftonline.com/{tenantid}/v2.0 take the token's tid.

Keys named or carried by the token (jku, x5u, jwk, x5c) are never used. An
unknown kid makes verify refetch the JWKS once. Discovery documents and JWKS
are cached on disk, honouring Cache-Control (--no-cache to bypass).

The token comes from the arguments, --file, --token-env NAME or stdin, in
any form decode takes; at a terminal with no other input, $JWTRACE_TOKEN is
verified when set. --batch reads one token per line from stdin (or --file)
and writes one JSON line per token.

Exit status: 0 valid, 1 rejected, 2 usage or input error, 3 the keys could
not be fetched.`,
		Example: `  jwtrace verify --authority https://login.microsoftonline.com/$TENANT/v2.0 --audience api://workouts "$TOKEN"
  jwtrace verify --key testdata/keys/jwks.json --issuer https://issuer.example --audience api://workouts --file token.jwt
  jwtrace verify --authority http://127.0.0.1:9400 --audience api://default --at 2026-11-27T10:42:00Z --file token.jwt
  jwtrace verify --issuer 'https://login.microsoftonline.com/{tenantid}/v2.0' --tenant $TENANT \
      --jwks-url https://login.microsoftonline.com/common/discovery/v2.0/keys --audience api://workouts "$TOKEN"
  jwtrace verify --secret env:JWT_SECRET --skip-issuer --audience api://x "$TOKEN"
  cat tokens.txt | jwtrace verify --batch --authority https://idp.example --audience api://x > results.jsonl`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.args = args
			opts.ctx = cmd.Context()
			opts.typGiven = cmd.Flags().Changed("typ")
			return runVerify(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.authority, "authority", "", "fetch keys through this issuer's OIDC discovery (`URL`: the issuer or its discovery URL)")
	f.StringVar(&opts.jwksURL, "jwks-url", "", "fetch keys from this JWKS `URL`")
	f.StringArrayVar(&opts.keyFiles, "key", nil, "verify with the keys in `FILE` (PEM public key, certificate, JWK or JWKS; repeatable)")
	f.StringVar(&opts.secret, "secret", "", "HMAC shared `SECRET`: the secret itself, @FILE, or env:NAME")
	f.BoolVar(&opts.allowWeakSecret, "allow-weak-secret", false, "accept HMAC secrets shorter than the hash (RFC 7518 §3.2)")
	f.StringArrayVar(&opts.issuers, "issuer", nil, "accepted issuer `URL` (repeatable; {tenantid} templates take the token's tid)")
	f.StringArrayVar(&opts.tenants, "tenant", nil, "accept only this tenant `ID` (repeatable)")
	f.BoolVar(&opts.skipIssuer, "skip-issuer", false, "do not check the issuer (reported as skipped)")
	f.StringArrayVar(&opts.audiences, "audience", nil, "accepted `AUDIENCE`; the token's aud must hold one of them (repeatable)")
	f.BoolVar(&opts.skipAudience, "skip-audience", false, "do not check the audience (reported as skipped)")
	f.BoolVar(&opts.allowNoExp, "allow-no-exp", false, "accept a token without exp")
	durationVar(f, &opts.leeway, "leeway", 0, "allow this much clock skew for exp, nbf and iat (e.g. 30s)")
	f.StringVar(&opts.at, "at", "", "evaluate the times at `TIME` (RFC 3339, YYYY-MM-DD, Unix seconds, or a duration from now: -1h, +10m) instead of now")
	f.Var(&listFlag{&opts.algs}, "alg", "accept only these `ALGS` (comma-separated or repeated; default: what the key allows)")
	f.StringVar(&opts.typ, "typ", "", "require this header `TYP` (e.g. at+jwt)")
	f.StringArrayVar(&opts.require, "require", nil, "require `CLAIM` or CLAIM=VALUE (repeatable)")
	f.Var(&listFlag{&opts.scopes}, "scope", "require these `SCOPES` in scp or scope (comma-separated or repeated)")
	f.BoolVar(&opts.json, "json", false, "print the result as JSON")
	f.BoolVar(&opts.batch, "batch", false, "read one token per line from stdin (or --file); write one JSON line per token")
	f.StringVarP(&opts.file, "file", "f", "", "read the token (with --batch, the tokens) from `FILE` (- for stdin)")
	f.StringVar(&opts.tokenEnv, "token-env", "", "read the token from the environment variable `NAME`")
	f.DurationVar(&opts.timeout, "timeout", verify.DefaultTimeout, "give up on an HTTP request after this long")
	opts.http.bind(f)
	_ = cmd.MarkFlagFilename("key")
	_ = cmd.MarkFlagFilename("file")
	_ = cmd.MarkFlagFilename("cacert", "pem", "crt")
	cmd.SetFlagErrorFunc(flagErrors)
	return cmd
}

func runVerify(opts *verifyOptions) error {
	s := opts.streams
	ctx := opts.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	rules, err := opts.rules()
	if err != nil {
		return err
	}
	src, err := opts.sources()
	if err != nil {
		return err
	}
	// Usage mistakes come before any network request. With --authority
	// the issuer rule may still come from discovery, so check the rules as
	// if it had.
	early := opts.policy()
	if opts.authority != "" && len(early.Issuer.Value) == 0 && !early.SkipIssuer.Value {
		early.Issuer = verify.List(opts.authority)
	}
	if err := early.Validate(); err != nil {
		return &usageError{explain.CLI.RuleError(err)}
	}
	if opts.timeout <= 0 {
		return &usageError{errors.New("--timeout must be more than 0 (it bounds each request)")}
	}
	if opts.batch && (len(opts.args) > 0 || opts.tokenEnv != "") {
		return &usageError{errors.New("--batch reads tokens from stdin or --file FILE, one per line; give no token argument or --token-env")}
	}
	var input []byte
	batchIn := s.In
	if opts.batch && opts.file != "" && opts.file != "-" {
		f, err := os.Open(opts.file)
		if err != nil {
			return &usageError{fmt.Errorf("--file: cannot read the tokens: %w", err)}
		}
		defer f.Close()
		batchIn = f
	}
	if !opts.batch {
		input, err = readVerifyInput(ctx, opts)
		if err != nil {
			return err
		}
	}

	client, err := opts.http.client(s, opts.timeout)
	if err != nil {
		return err
	}
	fetcher := opts.http.fetcher(s, client, opts.now)
	keys, origin, err := fetcher.LoadKeys(ctx, src)
	if err != nil {
		return err
	}
	if len(opts.issuers) == 0 && !opts.skipIssuer && origin.Issuer != "" {
		rules.Issuers = []string{origin.Issuer}
	}
	if err := rules.Check(); err != nil {
		return &usageError{explain.CLI.RuleError(err)}
	}
	if len(origin.Keys) == 0 {
		return &verify.FetchError{URL: firstNonEmpty(opts.jwksURL, opts.authority), Err: errors.New("no usable verification key: " + strings.Join(origin.Notes, "; "))}
	}
	v := &verify.Verifier{Keys: keys, Rules: rules, Explain: explain.CLI.FillFailures}

	if opts.batch {
		stats, err := v.Batch(ctx, batchIn, s.Out, 0)
		if err != nil {
			return err
		}
		if stats.Tokens == 0 {
			return &usageError{errors.New("--batch read no token from stdin")}
		}
		fmt.Fprintf(s.ErrOut, "%d %s: %d valid, %d rejected\n", stats.Tokens, map[bool]string{true: "token", false: "tokens"}[stats.Tokens == 1], stats.Valid, stats.Rejected)
		if stats.Rejected > 0 {
			return reported(outcomeRejected)
		}
		return nil
	}

	found, err := decode.Extract(input)
	if err != nil {
		return err
	}
	// Every token in the input is verified, or none: a token verify
	// skipped must not hide behind another one's "valid".
	if n := len(found.Candidates); n >= decode.MaxTokens {
		return &usageError{fmt.Errorf("the input holds %d or more tokens; verify takes at most %d at once: use --batch, one token per line", n, decode.MaxTokens-1)}
	}
	if like := tokenLike(input); like > len(found.Candidates) {
		return &usageError{fmt.Errorf("the input holds %d token-like values but only %d complete tokens; verify the tokens one at a time, or with --batch", like, len(found.Candidates))}
	}
	for _, n := range found.Notes {
		fmt.Fprintln(s.ErrOut, "note: "+ui.Safe(n))
	}
	// Input that is not a token is malformed input, as decode says (exit
	// 2 with its words), not a token verify rejected.
	for _, c := range found.Candidates {
		if _, err := decode.Parse(c.Token, c.Source, decode.Options{Now: rules.At}); err != nil {
			return err
		}
	}
	var results []*verify.Result
	for _, c := range found.Candidates {
		r := v.Verify(ctx, c.Token)
		explain.CLI.Fill(r)
		if len(found.Candidates) > 1 {
			r.Source = c.Source
		}
		results = append(results, r)
	}
	// A token's unknown kid may have refetched the JWKS: say so, with the
	// keys it holds now.
	origin.NoteRefetch(keys)
	if opts.json {
		pretty := s.StdoutIsTerminal()
		for _, r := range results {
			if err := ui.WriteJSON(s.Out, verifyJSON{Result: r, KeysFrom: origin}, pretty); err != nil {
				return err
			}
		}
	} else if err := s.Printer(s.Out).Verification(results, ui.VerifyView{Origin: origin}); err != nil {
		return err
	}
	for _, r := range results {
		if !r.Valid {
			return reported(outcomeRejected)
		}
	}
	return nil
}

// readVerifyInput gets verify's token from --token-env, $JWTRACE_TOKEN
// (at a terminal with nothing else given), --file, the arguments or stdin,
// as decode does.
func readVerifyInput(ctx context.Context, opts *verifyOptions) ([]byte, error) {
	if b, ok, err := envInput(opts.streams, opts.tokenEnv, opts.file, opts.args); ok || err != nil {
		return b, err
	}
	return readInput(ctx, opts.streams, opts.file, opts.args,
		"  jwtrace verify --authority URL --audience AUD 'eyJhbGciOi...'\n  echo \"$TOKEN\" | jwtrace verify --authority URL --audience AUD\n  jwtrace verify --authority URL --audience AUD --token-env TOKEN")
}

// tokenLike counts the places in the input where a JWT header starts
// ("eyJ" not inside a longer base64url run): each should have become a
// candidate token.
func tokenLike(input []byte) int {
	n := 0
	for i := 0; i+3 <= len(input); i++ {
		if input[i] == 'e' && input[i+1] == 'y' && input[i+2] == 'J' && (i == 0 || !isB64URL(input[i-1])) {
			n++
		}
	}
	return n
}

func isB64URL(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
}

// verifyJSON is verify --json's object: the result and where the keys came
// from.
type verifyJSON struct {
	*verify.Result
	KeysFrom *verify.Origin `json:"keys_from"`
}

// policy is the rule and key flags as a verify.Policy: a flag not given
// is not declared; --typ given empty is (and is refused).
func (opts *verifyOptions) policy() verify.Policy {
	p := verify.Policy{
		KeyFiles:        verify.ListOf(opts.keyFiles),
		Issuer:          verify.ListOf(opts.issuers),
		SkipIssuer:      verify.Bool(opts.skipIssuer),
		Tenant:          verify.ListOf(opts.tenants),
		Audience:        verify.ListOf(opts.audiences),
		SkipAudience:    verify.Bool(opts.skipAudience),
		Algs:            verify.ListOf(opts.algs),
		Scopes:          verify.ListOf(opts.scopes),
		Require:         verify.ListOf(opts.require),
		AllowNoExp:      verify.Bool(opts.allowNoExp),
		AllowWeakSecret: verify.Bool(opts.allowWeakSecret),
	}
	// An empty --authority or --jwks-url is no key source, as before.
	if opts.authority != "" {
		p.Authority = verify.Some(opts.authority)
	}
	if opts.jwksURL != "" {
		p.JWKSURL = verify.Some(opts.jwksURL)
	}
	if opts.typGiven || opts.typ != "" {
		p.Typ = verify.Some(opts.typ)
	}
	if opts.leeway != 0 {
		p.Leeway = verify.DurationOf(opts.leeway)
	}
	return p
}

// rules is the policy's rules at --at (or now). The policy is validated
// by runVerify, before anything is fetched.
func (opts *verifyOptions) rules() (verify.Rules, error) {
	p := opts.policy()
	r := p.Rules()
	r.At = opts.now()
	if opts.at != "" {
		t, err := parseAtFlag(opts.at, r.At)
		if err != nil {
			return r, &usageError{fmt.Errorf("--at: %w", err)}
		}
		r.At = t
	}
	return r, nil
}

func (opts *verifyOptions) sources() (verify.Sources, error) {
	p := opts.policy()
	src := p.Sources()
	if opts.authority == "" && opts.jwksURL == "" && len(opts.keyFiles) == 0 && opts.secret == "" {
		return src, &usageError{errors.New("no keys: give --authority URL, --jwks-url URL, --key FILE or --secret")}
	}
	for _, u := range []struct{ flag, value string }{{"--authority", opts.authority}, {"--jwks-url", opts.jwksURL}} {
		if u.value == "" {
			continue
		}
		if _, err := verify.CheckURL(u.value, opts.http.allowHTTP); err != nil {
			return src, &usageError{fmt.Errorf("%s %w", u.flag, err)}
		}
	}
	if err := checkKeyFiles(opts.keyFiles); err != nil {
		return src, err
	}
	if opts.secret != "" {
		secret, from, err := verify.ReadSecret(opts.secret, opts.streams.Getenv)
		if err != nil {
			return src, &usageError{fmt.Errorf("--secret: %w", err)}
		}
		if len(secret) < verify.MinSecretBytes && !opts.allowWeakSecret {
			return src, &usageError{fmt.Errorf("--secret: the secret is %d bytes; HMAC secrets must be at least %d bytes (RFC 7518 §3.2), or give --allow-weak-secret", len(secret), verify.MinSecretBytes)}
		}
		src.Secret, src.SecretSource = secret, from
	}
	return src, nil
}

// listFlag is a comma-separated, repeatable flag (--alg, --scope) that
// keeps empty values, each trimmed: pflag's StringSlice reads --scope ""
// as no value at all, so an unset variable (--scope "$SCOPE") would
// silently drop the rule. verify.Policy.Validate refuses the empty values.
type listFlag struct{ values *[]string }

func (l *listFlag) String() string { return strings.Join(*l.values, ",") }
func (l *listFlag) Type() string   { return "strings" }

func (l *listFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		*l.values = append(*l.values, strings.TrimSpace(part))
	}
	return nil
}

func firstNonEmpty(list ...string) string {
	for _, s := range list {
		if s != "" {
			return s
		}
	}
	return ""
}
