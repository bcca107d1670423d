package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jwtrace/jwtrace/internal/report"
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
	// The validator (a library profile) and the rules that tell
	// libraries apart; *Set: given, even as zero.
	validator                  string
	expLeeway, nbfLeeway       time.Duration
	expLeewaySet, nbfLeewaySet bool
	skipNbf, allowFutureIat    bool
	typAllowed                 []string
	at                         string
	algs                       []string
	typ                        string
	typGiven                   bool
	require                    []string
	scopes                     []string

	json, batch bool
	file        string
	tokenEnv    string
	args        []string

	timeout time.Duration
	http    httpFlags

	// junit is --junit FILE, with --batch.
	junit report.BatchFlags
}

func newVerifyCmd(d *Deps) *cobra.Command {
	s, now := d.Streams, d.Now
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
--skip-audience explicitly, or name the library the service validates with
(--validator go-oidc; jwtrace validators lists them): its defaults decide
every rule not given, and the report says where one decided. Issuer templates such as
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
			opts.expLeewaySet, opts.nbfLeewaySet = cmd.Flags().Changed("exp-leeway"), cmd.Flags().Changed("nbf-leeway")
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
	f.StringVar(&opts.validator, "validator", "", "predict as the validator `LIBRARY` does: its defaults fill every rule not given (jwtrace validators lists them)")
	durationVar(f, &opts.expLeeway, "exp-leeway", 0, "clock skew allowed on exp alone, over --leeway")
	durationVar(f, &opts.nbfLeeway, "nbf-leeway", 0, "clock skew allowed on nbf alone, over --leeway")
	f.BoolVar(&opts.skipNbf, "skip-nbf", false, "do not check nbf")
	f.BoolVar(&opts.allowFutureIat, "allow-future-iat", false, "accept a token whose iat is in the future")
	f.Var(&listFlag{&opts.typAllowed}, "typ-allowed", "accept only these header `TYPS` when the token has a typ (comma-separated or repeated)")
	f.StringVar(&opts.at, "at", "", "evaluate the times at `TIME` (RFC 3339, YYYY-MM-DD, Unix seconds, or a duration from now: -1h, +10m) instead of now")
	f.Var(&listFlag{&opts.algs}, "alg", "accept only these `ALGS` (comma-separated or repeated; default: what the key allows)")
	f.StringVar(&opts.typ, "typ", "", "require this header `TYP` (e.g. at+jwt)")
	f.StringArrayVar(&opts.require, "require", nil, "require `CLAIM` or CLAIM=VALUE (repeatable)")
	f.Var(&listFlag{&opts.scopes}, "scope", "require these `SCOPES` in scp or scope (comma-separated or repeated)")
	f.BoolVar(&opts.json, "json", false, "print the result as JSON")
	f.BoolVar(&opts.batch, "batch", false, "read one token per line from stdin (or --file); write one JSON line per token")
	f.StringVar(&opts.junit.JUnit, "junit", "", "with --batch: also write the results as JUnit XML to `FILE`, one test case per token (for CI test reports)")
	f.StringVarP(&opts.file, "file", "f", "", "read the token (with --batch, the tokens) from `FILE` (- for stdin)")
	f.StringVar(&opts.tokenEnv, "token-env", "", "read the token from the environment variable `NAME`")
	f.DurationVar(&opts.timeout, "timeout", verify.DefaultTimeout, "give up on an HTTP request after this long")
	opts.http.bind(f)
	_ = cmd.MarkFlagFilename("key")
	_ = cmd.MarkFlagFilename("file")
	_ = cmd.MarkFlagFilename("junit", "xml")
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
	req, err := opts.request()
	if err != nil {
		return err
	}
	// Usage mistakes come before any network request.
	if err := req.Validate(); err != nil {
		return &usageError{explain.CLI.RuleError(err)}
	}
	if opts.timeout <= 0 {
		return &usageError{errors.New("--timeout must be more than 0 (it bounds each request)")}
	}
	if opts.batch && (len(opts.args) > 0 || opts.tokenEnv != "") {
		return &usageError{errors.New("--batch reads tokens from stdin or --file FILE, one per line; give no token argument or --token-env")}
	}
	if opts.junit.JUnit != "" && !opts.batch {
		return &usageError{errors.New("--junit writes the results of --batch (one test case per token); add --batch, or leave --junit out")}
	}
	if opts.batch {
		req.Batch, req.BatchOut, req.Explain = s.In, opts.junit.Out(s.Out), explain.CLI.FillFailures
		if opts.file != "" && opts.file != "-" {
			f, err := os.Open(opts.file)
			if err != nil {
				return &usageError{fmt.Errorf("--file: cannot read the tokens: %w", err)}
			}
			defer f.Close()
			req.Batch = f
		}
	} else {
		req.Input, err = readVerifyInput(ctx, opts)
		if err != nil {
			return err
		}
	}
	client, err := opts.http.client(s, opts.timeout)
	if err != nil {
		return err
	}
	req.Fetcher = opts.http.fetcher(s, client, opts.now)

	rep, err := verify.Run(ctx, req)
	if rep != nil {
		for _, n := range rep.Notes {
			fmt.Fprintln(s.ErrOut, "note: "+ui.Safe(n))
		}
	}
	if err != nil {
		return verifyError(err, opts.authority)
	}
	if st := rep.Batch; st != nil {
		if st.Tokens == 0 {
			return &usageError{errors.New("--batch read no token from stdin")}
		}
		fmt.Fprintf(s.ErrOut, "%d %s: %d valid, %d rejected\n", st.Tokens, map[bool]string{true: "token", false: "tokens"}[st.Tokens == 1], st.Valid, st.Rejected)
		if err := opts.junit.Write(opts.file, opts.now()); err != nil {
			return err
		}
		if st.Rejected > 0 {
			return reported(outcomeRejected)
		}
		return nil
	}
	for _, r := range rep.Results {
		explain.CLI.Fill(r)
	}
	if opts.json {
		pretty := s.StdoutIsTerminal()
		for _, r := range rep.Results {
			if err := ui.WriteJSON(s.Out, verifyJSON{Result: r, KeysFrom: rep.Origin, Validator: profileName(req.Policy.Profile())}, pretty); err != nil {
				return err
			}
		}
	} else if err := s.Printer(s.Out).Verification(rep.Results, ui.VerifyView{Origin: rep.Origin, Validator: req.Policy.Profile()}); err != nil {
		return err
	}
	if !rep.Valid() {
		return reported(outcomeRejected)
	}
	return nil
}

// verifyError says verify.Run's errors in verify's words (its flags).
func verifyError(err error, authority string) error {
	var (
		rules  *verify.RuleError
		count  *verify.InputCountError
		opaque *verify.OpaqueTokenError
	)
	switch {
	case errors.As(err, &rules):
		return &usageError{explain.CLI.RuleError(rules)}
	case errors.As(err, &count) && count.TooMany:
		return &usageError{fmt.Errorf("the input holds %d or more tokens; verify takes at most %d at once: use --batch, one token per line", count.Tokens, count.Max)}
	case errors.As(err, &count):
		return &usageError{fmt.Errorf("the input holds %d token-like values but only %d complete tokens; verify the tokens one at a time, or with --batch", count.Tokens, count.Complete)}
	case errors.As(err, &opaque):
		// Still decode's input error (exit 2), with the way to ask about
		// such a token: RFC 7662 introspection at its authority.
		return fmt.Errorf("%w\n  hint: it looks like an opaque access token, which verify cannot check; ask its authority about it: jwtrace introspect --authority %s --client-id ID", err, firstNonEmpty(authority, "URL"))
	}
	return err
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

// verifyJSON is verify --json's object: the result and where the keys came
// from.
type verifyJSON struct {
	*verify.Result
	KeysFrom *verify.Origin `json:"keys_from"`
	// Validator is the library profile whose defaults filled the rules
	// not given (--validator).
	Validator string `json:"validator,omitempty"`
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
	if opts.validator != "" {
		p.Validator = verify.Some(opts.validator)
	}
	if opts.expLeewaySet {
		p.ExpLeeway = verify.DurationOf(opts.expLeeway)
	}
	if opts.nbfLeewaySet {
		p.NbfLeeway = verify.DurationOf(opts.nbfLeeway)
	}
	p.SkipNbf, p.AllowFutureIat = verify.Bool(opts.skipNbf), verify.Bool(opts.allowFutureIat)
	p.TypAllowed = verify.ListOf(opts.typAllowed)
	return p
}

// request binds the flags into a verify.Request: the policy, the moment
// (--at, or now) and the secret. The flags' own mistakes are said here,
// in their words; the policy's are Request.Validate's.
func (opts *verifyOptions) request() (verify.Request, error) {
	req := verify.Request{Policy: opts.policy(), At: opts.now()}
	if opts.at != "" {
		t, err := parseAtFlag(opts.at, req.At)
		if err != nil {
			return req, &usageError{fmt.Errorf("--at: %w", err)}
		}
		req.At = t
	}
	if opts.authority == "" && opts.jwksURL == "" && len(opts.keyFiles) == 0 && opts.secret == "" {
		return req, &usageError{errors.New("no keys: give --authority URL, --jwks-url URL, --key FILE or --secret")}
	}
	for _, u := range []struct{ flag, value string }{{"--authority", opts.authority}, {"--jwks-url", opts.jwksURL}} {
		if u.value == "" {
			continue
		}
		if _, err := verify.CheckURL(u.value, opts.http.allowHTTP); err != nil {
			return req, &usageError{fmt.Errorf("%s %w", u.flag, err)}
		}
	}
	if err := checkKeyFiles(opts.keyFiles); err != nil {
		return req, err
	}
	if opts.secret != "" {
		secret, from, err := verify.ReadSecret(opts.secret, opts.streams.Getenv)
		if err != nil {
			return req, &usageError{fmt.Errorf("--secret: %w", err)}
		}
		if len(secret) < verify.MinSecretBytes && !opts.allowWeakSecret {
			return req, &usageError{fmt.Errorf("--secret: the secret is %d bytes; HMAC secrets must be at least %d bytes (RFC 7518 §3.2), or give --allow-weak-secret", len(secret), verify.MinSecretBytes)}
		}
		req.Secret, req.SecretSource = secret, from
	}
	return req, nil
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

// profileName is p's name, or "" for none.
func profileName(p *verify.Profile) string {
	if p == nil {
		return ""
	}
	return p.Name
}
