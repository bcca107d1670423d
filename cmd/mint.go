package cmd

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/internal/ui"
	"github.com/jwtrace/jwtrace/verify"
)

// defaultMintIssuer is the iss of tokens minted with the authority's key:
// the issuer of jwtrace authority serve with its default --addr.
const defaultMintIssuer = "http://" + authority.DefaultAddr

type mintOptions struct {
	streams *ui.Streams
	now     func() time.Time

	keyFile, secret, state string
	alg, kid               string
	iss, sub               string
	aud                    []string
	scope                  []string
	exp, nbf, iat          string
	claims, headers        []string
	claimsFile             string
	json                   bool
	allowWeakSecret        bool
	// issSet is true when --iss was given (even empty).
	issSet bool
	// changed says which flags were given.
	changed func(name string) bool
}

func newMintCmd(d *Deps) *cobra.Command {
	s, now := d.Streams, d.Now
	opts := &mintOptions{streams: s, now: now}
	cmd := &cobra.Command{
		Use:   "mint",
		Short: "Sign a token with the authority's key, a key file or a secret",
		Long: `Mint signs a token without a server and prints it on stdout, and nothing
else. It signs with the local authority's key (the same state directory as
jwtrace authority serve, so the authority's JWKS verifies it), with --key
FILE (PEM or JWK), or with --secret for HS256.

Times take a duration from now (5m, -1h, 90d: negative is in the past), a
time (RFC 3339, YYYY-MM-DD or Unix seconds), or "none" to leave the claim
out. By default iat is now and exp one hour later; nbf is left out.

--claim and --header take NAME=VALUE for a string, NAME:=JSON for any JSON
value (a number, true, null, an array, an object), and -NAME to remove a
field; they apply after the other flags, so they can override or remove
anything, including alg, kid and typ in the header: build odd tokens on
purpose to test a verifier. The header is {"alg", "kid", "typ": "JWT"};
iss defaults to the authority's (http://127.0.0.1:9400) only when signing
with the authority's key.

Exit status: 0 printed a token, 2 usage or input error.`,
		Example: `  jwtrace mint --sub alice --aud api://default --scope 'orders.read orders.write'
  jwtrace mint --exp -5m --sub alice                                  # expired 5 minutes ago
  jwtrace mint --nbf 10m --sub alice                                  # not valid for 10 more minutes
  jwtrace mint --key testdata/keys/rsa-private.pem --kid k1 --iss https://issuer.example --sub alice
  jwtrace mint --secret @testdata/keys/hs256.secret --claim roles:='["admin"]'
  jwtrace mint --claims-file claims.json --header typ=at+jwt --header -kid
  jwtrace mint --sub alice | jwtrace decode`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.issSet = cmd.Flags().Changed("iss")
			opts.changed = cmd.Flags().Changed
			return runMint(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.keyFile, "key", "", "sign with the private key in `FILE` (PEM or JWK)")
	f.StringVar(&opts.secret, "secret", "", "sign with HMAC `SECRET` (HS256): the secret itself, @FILE, or env:NAME")
	stateFlag(cmd, &opts.state)
	f.StringVar(&opts.alg, "alg", "", "signing algorithm (default: the key's: RS256, ES256, EdDSA, HS256; the authority key's newest)")
	f.StringVar(&opts.kid, "kid", "", "kid header (default: the key's kid; a PEM key has none)")
	f.StringVar(&opts.iss, "iss", "", "issuer (default http://127.0.0.1:9400 with the authority's key, else none)")
	f.StringVar(&opts.sub, "sub", "", "subject")
	f.StringArrayVar(&opts.aud, "aud", nil, "audience (repeatable: one gives a string, several an array)")
	f.StringArrayVar(&opts.scope, "scope", nil, "scope claim, space-separated (repeatable, joined)")
	f.StringVar(&opts.exp, "exp", "1h", "expiry: `DURATION` from now, TIME, or none")
	f.StringVar(&opts.nbf, "nbf", "none", "not before: DURATION from now, TIME, or none")
	f.StringVar(&opts.iat, "iat", "0s", "issued at: DURATION from now, TIME, or none")
	f.StringArrayVar(&opts.claims, "claim", nil, "a claim `NAME=VALUE`, NAME:=JSON, or -NAME to remove (repeatable)")
	f.StringVar(&opts.claimsFile, "claims-file", "", "start from the claims in JSON `FILE` (- for stdin)")
	f.StringArrayVar(&opts.headers, "header", nil, "a header field `NAME=VALUE`, NAME:=JSON, or -NAME to remove (repeatable)")
	f.BoolVar(&opts.json, "json", false, "print {token, header, claims} as JSON")
	f.BoolVar(&opts.allowWeakSecret, "allow-weak-secret", false, "sign with a --secret shorter than the hash (RFC 7518 §3.2), which jwtrace verify refuses")
	_ = cmd.MarkFlagFilename("key")
	_ = cmd.MarkFlagFilename("claims-file", "json")
	return cmd
}

func runMint(opts *mintOptions) error {
	s := opts.streams
	now := opts.now()
	if opts.keyFile != "" && opts.secret != "" {
		return &usageError{errors.New("give --key or --secret, not both")}
	}
	if opts.state != "" && (opts.keyFile != "" || opts.secret != "") {
		return &usageError{errors.New("--state picks the authority's key; it does not go with --key or --secret")}
	}

	// The spec: the file's claims, the flags, then --claim and --header.
	spec := &authority.MintSpec{Subject: opts.sub, Audience: opts.aud, Scope: opts.scope, KID: opts.kid}
	if opts.claimsFile != "" {
		c, err := readClaimsFile(opts.claimsFile, s.In)
		if err != nil {
			return &usageError{fmt.Errorf("--claims-file: %w", err)}
		}
		spec.Claims = c
	}
	for _, tf := range []struct {
		name string
		dst  **authority.MintTime
	}{{"iat", &spec.IssuedAt}, {"exp", &spec.Expires}, {"nbf", &spec.NotBefore}} {
		t, err := parseMintTime(map[string]string{"iat": opts.iat, "exp": opts.exp, "nbf": opts.nbf}[tf.name])
		if err != nil {
			return &usageError{fmt.Errorf("--%s: %w", tf.name, err)}
		}
		if opts.changed(tf.name) {
			*tf.dst = t
		}
	}
	if opts.issSet {
		spec.Issuer = &opts.iss
	}

	key, fromAuthority, err := opts.signingKey(now)
	if err != nil {
		return err
	}
	if fromAuthority {
		spec.DefaultIssuer = defaultMintIssuer
	}
	if spec.ClaimEdits, err = parseAssignments(opts.claims, "--claim"); err != nil {
		return err
	}
	if spec.HeaderEdits, err = parseAssignments(opts.headers, "--header"); err != nil {
		return err
	}
	header, claims := spec.Build(now)
	tok, err := authority.Sign(key, header, claims)
	if err != nil {
		return &usageError{err}
	}
	if opts.json {
		parts := strings.Split(tok, ".")
		h, _ := base64.RawURLEncoding.DecodeString(parts[0])
		c, _ := base64.RawURLEncoding.DecodeString(parts[1])
		return ui.WriteJSON(s.Out, struct {
			Token  string          `json:"token"`
			Header json.RawMessage `json:"header"`
			Claims json.RawMessage `json:"claims"`
		}{tok, h, c}, s.StdoutIsTerminal())
	}
	_, err = fmt.Fprintln(s.Out, tok)
	return err
}

// signingKey is --key, --secret, or the authority's key (fromAuthority).
func (opts *mintOptions) signingKey(now time.Time) (key *authority.Key, fromAuthority bool, err error) {
	s := opts.streams
	switch {
	case opts.keyFile != "":
		key, err = authority.LoadKey(opts.keyFile)
		if err != nil {
			return nil, false, &usageError{fmt.Errorf("--key %s: %w", opts.keyFile, err)}
		}
		if opts.alg != "" {
			if err := algFitsKey(opts.alg, key); err != nil {
				return nil, false, &usageError{fmt.Errorf("--alg %s with --key %s: %w", opts.alg, opts.keyFile, err)}
			}
			key.Alg = opts.alg
		}
	case opts.secret != "":
		secret, _, err := verify.ReadSecret(opts.secret, s.Getenv)
		if err != nil {
			return nil, false, &usageError{fmt.Errorf("--secret: %w", err)}
		}
		alg := opts.alg
		if alg == "" {
			alg = "HS256"
		}
		need := map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}[alg]
		if len(secret) < need && !opts.allowWeakSecret {
			return nil, false, &usageError{fmt.Errorf("--secret is %d bytes; %s needs at least %d, its hash size (RFC 7518 §3.2), and jwtrace verify would refuse the token: use a longer secret, or --allow-weak-secret to mint it anyway", len(secret), alg, need)}
		}
		if key, err = authority.SecretKey(secret, opts.alg); err != nil {
			return nil, false, &usageError{fmt.Errorf("--secret: %w", err)}
		}
	default:
		dir, err := stateDir(s, opts.state)
		if err != nil {
			return nil, false, err
		}
		if opts.alg != "" && !containsString(authority.Algs, opts.alg) {
			return nil, false, &usageError{fmt.Errorf("--alg %q: the authority's keys are %s; for other algorithms use --key or --secret", opts.alg, strings.Join(authority.Algs, ", "))}
		}
		k, created, err := authority.StateKey(dir, opts.alg, now)
		if err != nil {
			// Not a usage mistake: the state directory's problem, which
			// the error names with its fix.
			return nil, false, fmt.Errorf("the authority's key: %w", err)
		}
		if created {
			fmt.Fprintf(s.ErrOut, "note: made a new %s key (kid %s) in %s; jwtrace authority serve will publish it\n", k.Alg, k.KID, ui.Safe(dir))
		}
		key, fromAuthority = k, true
	}
	return key, fromAuthority, nil
}

// algFitsKey says, in words, why alg cannot sign with key (the library's
// own error is "jwsbb.Sign: invalid key type *ecdsa.PrivateKey").
func algFitsKey(alg string, key *authority.Key) error {
	kty := key.JWK.KeyType().String()
	var want string
	switch {
	case len(alg) == 5 && (strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")):
		want = "RSA"
	case len(alg) == 5 && strings.HasPrefix(alg, "ES"):
		want = "EC"
	case alg == "EdDSA" || alg == "Ed25519":
		want = "OKP"
	case len(alg) == 5 && strings.HasPrefix(alg, "HS"):
		return errors.New("HMAC signs with a shared secret: use --secret, not --key")
	default:
		return fmt.Errorf("unknown algorithm; use one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA")
	}
	if kty != want {
		names := map[string]string{"RSA": "an RSA key", "EC": "an EC key", "OKP": "an Ed25519 key"}
		fits := map[string]string{"RSA": "RS256 or PS256", "EC": "the curve's ES algorithm (ES256 for P-256)", "OKP": "EdDSA"}
		return fmt.Errorf("%s needs %s, and the file holds %s (it signs with %s)", alg, names[want], names[kty], fits[kty])
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseMintTime reads a time flag: a duration from now (with a d suffix
// for days), a time, or none.
func parseMintTime(spec string) (*authority.MintTime, error) {
	if spec == "none" || spec == "" {
		return authority.MintOmit(), nil
	}
	if d, err := parseDays(spec); err == nil {
		return authority.MintIn(d), nil
	}
	if t, err := parseTimeFlag(spec); err == nil {
		return authority.MintAt(t), nil
	}
	return nil, fmt.Errorf("%q is not a duration (5m, -1h, 90d), a time (RFC 3339, YYYY-MM-DD, Unix seconds) or none", spec)
}

// parseDays is time.ParseDuration that also takes a whole number of days
// ("90d", "-1d").
func parseDays(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int64
		if _, err := fmt.Sscanf(n, "%d", &days); err == nil && fmt.Sprint(days) == strings.TrimPrefix(n, "+") && days > -100000 && days < 100000 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
		return 0, errors.New("bad days")
	}
	return time.ParseDuration(s)
}

// parseAssignments reads the --claim or --header values.
func parseAssignments(specs []string, flag string) ([]authority.Assignment, error) {
	var out []authority.Assignment
	for _, spec := range specs {
		a, err := authority.ParseAssignment(spec)
		if err != nil {
			return nil, &usageError{fmt.Errorf("%s %w", flag, err)}
		}
		out = append(out, a)
	}
	return out, nil
}

// readClaimsFile reads a JSON object of claims (numbers kept exact).
func readClaimsFile(path string, stdin io.Reader) (map[string]any, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, 1<<20+1))
	if err != nil {
		return nil, err
	}
	if len(b) > 1<<20 {
		return nil, errors.New("larger than 1 MiB")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("%s is not JSON: %s at byte %d", path, syn.Error(), syn.Offset)
		}
		return nil, fmt.Errorf("%s is not JSON: %v", path, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		what := "a single value"
		switch v.(type) {
		case []any:
			what = "an array"
		case nil:
			what = "null"
		}
		return nil, fmt.Errorf("%s is not a JSON object: it is %s; give the claims as {\"name\": value, …}", path, what)
	}
	return m, nil
}
