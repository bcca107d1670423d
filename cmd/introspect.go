package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/ui"
	"github.com/jwtrace/jwtrace/login"
)

// bindClient binds the flags that name a client and its credential, for
// introspect and logout --revoke.
func (opts *loginOptions) bindClient(f *pflag.FlagSet) {
	f.StringVar(&opts.req.Authority, "authority", "", "the issuer `URL`; its discovery document names the endpoint")
	f.StringVar(&opts.req.ClientID, "client-id", "", "OAuth client `ID` (or $JWTRACE_CLIENT_ID)")
	f.StringVar(&opts.req.ClientSecret, "client-secret", "", "client `SECRET` (or $JWTRACE_CLIENT_SECRET)")
	f.StringVar(&opts.req.ClientAuth, "client-auth", "", "client authentication `METHOD`: client_secret_basic, client_secret_post, private_key_jwt, client_assertion or none (default: from the credentials and discovery)")
	f.StringVar(&opts.clientKeyFile, "client-key", "", "private key `FILE` (PEM or JWK) to sign client assertions with (private_key_jwt, RFC 7523)")
	f.StringVar(&opts.clientKeyID, "client-key-id", "", "the `KID` of --client-key, put in the assertion's header")
	f.StringVar(&opts.clientAssertion, "client-assertion", "", "a client assertion (a federated token) from `FILE`, env:NAME, or - for stdin")
	opts.http.bind(f)
}

// client builds a login client for introspect, userinfo and logout (no
// token cache needed beyond logout's).
func (opts *loginOptions) client() (*login.Client, error) {
	s := opts.streams
	req := &opts.req
	if req.ClientID == "" {
		req.ClientID = s.Getenv("JWTRACE_CLIENT_ID")
	}
	if req.ClientSecret == "" {
		req.ClientSecret = s.Getenv("JWTRACE_CLIENT_SECRET")
	}
	return opts.newClient()
}

// tokenArgument is the token to send: the argument, or stdin. A pasted
// "Authorization: Bearer" or "Bearer" prefix is dropped; the token must
// be one printable word.
func tokenArgument(s *ui.Streams, args []string, what string) (string, error) {
	var raw string
	if len(args) == 1 && args[0] != "-" {
		raw = args[0]
	} else {
		if s.StdinIsTerminal() && len(args) == 0 {
			return "", &usageError{fmt.Errorf("give the %s as an argument, or on stdin", what)}
		}
		b, err := io.ReadAll(io.LimitReader(s.In, decode.MaxTokenBytes+1))
		if err != nil {
			return "", err
		}
		if len(b) > decode.MaxTokenBytes {
			return "", &usageError{fmt.Errorf("the %s on stdin is larger than %d bytes", what, decode.MaxTokenBytes)}
		}
		raw = string(b)
	}
	t := strings.TrimSpace(raw)
	if rest, ok := cutFold(t, "authorization:"); ok {
		t = strings.TrimSpace(rest)
	}
	if tok, ok := decode.BearerToken(t); ok {
		t = tok
	}
	if t == "" {
		return "", &usageError{fmt.Errorf("no %s: the input is empty", what)}
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; c <= 0x20 || c >= 0x7f {
			return "", &usageError{fmt.Errorf("the %s is not one word of printable ASCII (byte %d); give the token alone", what, i+1)}
		}
	}
	return t, nil
}

func cutFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// timeClaim is whether a claim is shown as a time: the NumericDate claims the
// decode package knows (decode/times.go timeClaim), among them Ory
// Hydra's rat ("requested at", userinfo and introspection). A name ending
// in "_at" or "_time" is a time too when its value is a plausible
// NumericDate, as decode treats it.
func timeClaim(name string) bool {
	switch name {
	case "exp", "iat", "nbf", "auth_time", "updated_at", "rat", "pwd_exp", "orig_iat":
		return true
	}
	return false
}

// isTimeClaim says whether claim name with seconds sec reads as a time.
func isTimeClaim(name string, sec int64) bool {
	if timeClaim(name) {
		return sec > 0 && sec < 1<<40
	}
	// Plausible NumericDates, as decode/times.go: 2001-09-09 to 2100-01-01.
	return (strings.HasSuffix(name, "_at") || strings.HasSuffix(name, "_time")) && sec >= 1_000_000_000 && sec <= 4_102_444_800
}

// claimLines renders claims as aligned "name  value" lines, times as
// RFC 3339 with how long ago or ahead, every value escaped.
func claimLines(claims map[string]any, now time.Time, skip ...string) []string {
	names := make([]string, 0, len(claims))
	width := 0
	for k := range claims {
		if contains(skip, k) {
			continue
		}
		names = append(names, k)
		width = max(width, len(k))
	}
	sort.Strings(names)
	var lines []string
	for _, k := range names {
		lines = append(lines, fmt.Sprintf("  %-*s  %s", width, ui.Safe(k), claimValue(k, claims[k], now)))
	}
	return lines
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func claimValue(name string, v any, now time.Time) string {
	if n, ok := v.(json.Number); ok && name != "" {
		if sec, err := n.Int64(); err == nil && isTimeClaim(name, sec) {
			at := time.Unix(sec, 0).UTC()
			d := int64(at.Sub(now) / time.Second)
			rel := "now"
			switch {
			case d > 0:
				rel = "in " + decode.HumanSeconds(d)
			case d < 0:
				rel = decode.HumanSeconds(-d) + " ago"
			}
			return at.Format(time.RFC3339) + " (" + rel + ")"
		}
	}
	switch x := v.(type) {
	case string:
		return ui.Safe(x)
	case []any:
		if len(x) == 0 {
			return "[]" // Hydra's aud for a token without an audience
		}
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = claimValue("", e, now)
		}
		return strings.Join(parts, ", ")
	}
	b, _ := json.Marshal(v)
	return ui.Safe(string(b))
}

type introspectOptions struct {
	loginOptions
	endpoint string
	hint     string
}

func newIntrospectCmd(d *Deps) *cobra.Command {
	opts := &introspectOptions{loginOptions: loginOpts(d)}
	cmd := &cobra.Command{
		Use:   "introspect [TOKEN]",
		Short: "Ask the authority whether a token is active, and what it stands for (RFC 7662)",
		Long: `Introspect sends a token (an opaque access token jwtrace decode cannot read,
or any other) to the authority's introspection endpoint (RFC 7662), from
discovery or --introspection-endpoint, authenticated as a client: the same
client flags as login (--client-id, --client-secret or $JWTRACE_CLIENT_SECRET,
--client-key, --client-assertion, --client-auth). It shows whether the
token is active and the claims the authority tells, times readable.

The token is the argument, or stdin ("Bearer " is dropped).

Exit status: 0 active, 1 inactive, 2 usage error, 3 the authority failed
or could not be reached.`,
		Example: `  jwtrace introspect --authority http://127.0.0.1:9400 --client-id jwtrace-service --client-secret jwtrace-service-secret "$TOKEN"
  jwtrace token --authority https://idp.example --client-id cli | jwtrace introspect --authority https://idp.example --client-id api --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runIntrospect(cmd.Context(), opts, args)
		},
	}
	f := cmd.Flags()
	opts.bindClient(f)
	f.StringVar(&opts.endpoint, "introspection-endpoint", "", "the introspection endpoint `URL` (without discovery)")
	f.StringVar(&opts.hint, "token-type-hint", "", "send token_type_hint=`HINT` (access_token or refresh_token)")
	f.BoolVar(&opts.json, "json", false, `print {"active", "endpoint", "response"} as JSON`)
	return cmd
}

func runIntrospect(ctx context.Context, opts *introspectOptions, args []string) error {
	s := opts.streams
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.endpoint != "" {
		if _, err := checkURLFlag("--introspection-endpoint", opts.endpoint, opts.http.allowHTTP); err != nil {
			return err
		}
	} else if opts.req.Authority == "" {
		return &usageError{errors.New("no introspection endpoint: give --authority URL or --introspection-endpoint URL")}
	}
	tok, err := tokenArgument(s, args, "token")
	if err != nil {
		return err
	}
	c, err := opts.client()
	if err != nil {
		return err
	}
	res, err := c.Introspect(ctx, &opts.req, opts.endpoint, tok, opts.hint)
	if err != nil {
		return err
	}
	if opts.json {
		if err := ui.WriteJSON(s.Out, map[string]any{"active": res.Active, "endpoint": res.Endpoint, "response": res.Claims}, s.StdoutIsTerminal()); err != nil {
			return err
		}
	} else {
		state := "INACTIVE"
		if res.Active {
			state = "ACTIVE"
		}
		fmt.Fprintf(s.Out, "%s (introspected at %s)\n", state, ui.Safe(res.Endpoint))
		for _, l := range claimLines(res.Claims, opts.now(), "active") {
			fmt.Fprintln(s.Out, l)
		}
	}
	if !res.Active {
		return reported(outcomeRejected)
	}
	return nil
}

type userinfoOptions struct {
	loginOptions
	endpoint string
}

func newUserinfoCmd(d *Deps) *cobra.Command {
	opts := &userinfoOptions{loginOptions: loginOpts(d)}
	cmd := &cobra.Command{
		Use:   "userinfo [ACCESS_TOKEN]",
		Short: "Call the authority's userinfo endpoint with an access token",
		Long: `Userinfo sends an access token to the userinfo endpoint (OpenID Connect
Core §5.3) of the authority you name (from its discovery, or
--userinfo-endpoint) and shows the claims it answers with. The token goes
to that endpoint only, never along a redirect to another origin.

The token is the argument, or stdin ("Bearer " is dropped).

Exit status: 0 answered, 2 usage error, 3 the authority refused the token,
failed or could not be reached.`,
		Example: `  jwtrace token --authority http://127.0.0.1:9400 --client-id jwtrace | jwtrace userinfo --authority http://127.0.0.1:9400
  jwtrace userinfo --userinfo-endpoint https://graph.microsoft.com/oidc/userinfo --json "$TOKEN"`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUserinfo(cmd.Context(), opts, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.req.Authority, "authority", "", "the issuer `URL`; its discovery document names the userinfo endpoint")
	f.StringVar(&opts.endpoint, "userinfo-endpoint", "", "the userinfo endpoint `URL` (without discovery)")
	f.BoolVar(&opts.json, "json", false, "print the claims as JSON")
	opts.http.bind(f)
	return cmd
}

func runUserinfo(ctx context.Context, opts *userinfoOptions, args []string) error {
	s := opts.streams
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.endpoint != "" {
		if _, err := checkURLFlag("--userinfo-endpoint", opts.endpoint, opts.http.allowHTTP); err != nil {
			return err
		}
	} else if opts.req.Authority == "" {
		return &usageError{errors.New("no userinfo endpoint: give --authority URL or --userinfo-endpoint URL")}
	}
	tok, err := tokenArgument(s, args, "access token")
	if err != nil {
		return err
	}
	c, err := opts.client()
	if err != nil {
		return err
	}
	info, ep, err := c.Userinfo(ctx, &opts.req, opts.endpoint, tok)
	if err != nil {
		return err
	}
	if opts.json {
		return ui.WriteJSON(s.Out, info, s.StdoutIsTerminal())
	}
	fmt.Fprintf(s.Out, "userinfo from %s\n", ui.Safe(ep))
	for _, l := range claimLines(info, opts.now()) {
		fmt.Fprintln(s.Out, l)
	}
	return nil
}
