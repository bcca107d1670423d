package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/browser"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/ui"
	"github.com/jwtrace/jwtrace/login"
)

// openBrowser opens a URL in the user's browser; tests replace it.
var openBrowser = func(u string) error {
	// pkg/browser copies the launcher's output to os.Stdout by default,
	// which would corrupt TOKEN=$(jwtrace login ...).
	browser.Stdout, browser.Stderr = io.Discard, io.Discard
	return browser.OpenURL(u)
}

type loginOptions struct {
	streams *ui.Streams
	now     func() time.Time

	req       login.Request
	scopes    []string
	params    []string
	noBrowser bool
	timeout   time.Duration
	idToken   bool
	json      bool
	http      httpFlags
}

func newLoginCmd(s *ui.Streams, now func() time.Time) *cobra.Command {
	opts := &loginOptions{streams: s, now: now}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Get a token with the device flow (people) or client credentials (CI)",
		Long: `Login gets a token. By default it runs the OAuth 2.0 device authorization
grant (RFC 8628): it shows a code and a URL on stderr, opens the browser, and
waits while you approve. --grant client-credentials gets a token for a
service, with a client secret, for CI.

The access token is printed on stdout and nothing else, so
TOKEN=$(jwtrace login ...) works; --id-token prints the ID token, --json the
whole response with decoded summaries. A one-line summary goes to stderr.

Tokens are cached (files readable only by you) per authority, client,
grant and scopes: an unexpired token is reused, an expired one is refreshed
with its refresh token. --force logs in again; jwtrace logout clears the
cache.

Exit status: 0 logged in, 2 usage error, 3 the authority failed or could
not be reached, 4 the login was denied or expired, 130 interrupted.`,
		Example: `  jwtrace login --authority https://login.microsoftonline.com/$TENANT/v2.0 --client-id $APP --scope api://workouts/.default
  TOKEN=$(jwtrace login --authority http://127.0.0.1:9400 --client-id jwtrace --scope 'openid workouts.read')
  jwtrace login --authority https://idp.example --client-id ci --grant client-credentials --audience api://orders  # secret in $JWTRACE_CLIENT_SECRET
  jwtrace login --device-endpoint https://github.com/login/device/code --token-endpoint https://github.com/login/oauth/access_token --client-id $GH_APP
  jwtrace login --authority https://idp.example --client-id cli --json | jq .access_token_claims`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLogin(cmd.Context(), opts)
		},
	}
	opts.bind(cmd)
	f := cmd.Flags()
	f.BoolVar(&opts.req.Force, "force", false, "log in again even when a cached token is still valid")
	f.BoolVar(&opts.noBrowser, "no-browser", false, "do not open the browser")
	f.DurationVar(&opts.timeout, "timeout", 0, "give up after this long (default: when the device code expires)")
	return cmd
}

// bind adds the flags that name a login, shared by login and token.
func (opts *loginOptions) bind(cmd *cobra.Command) {
	f := cmd.Flags()
	opts.bindRequest(f)
	f.BoolVar(&opts.idToken, "id-token", false, "print the ID token instead of the access token")
	f.BoolVar(&opts.json, "json", false, "print the whole response as JSON, with decoded summaries")
	opts.http.bind(f)
	_ = cmd.RegisterFlagCompletionFunc("grant", cobra.FixedCompletions([]string{login.GrantDevice, login.GrantClientCredentials}, cobra.ShellCompDirectiveNoFileComp))
}

// bindRequest binds the flags that say which token to get: what chain
// --login shares with login and token.
func (opts *loginOptions) bindRequest(f *pflag.FlagSet) {
	f.StringVar(&opts.req.Authority, "authority", "", "the issuer `URL`; its discovery document names the endpoints")
	f.StringVar(&opts.req.DeviceEndpoint, "device-endpoint", "", "device authorization endpoint `URL` (without discovery)")
	f.StringVar(&opts.req.TokenEndpoint, "token-endpoint", "", "token endpoint `URL` (without discovery)")
	f.StringVar(&opts.req.ClientID, "client-id", "", "OAuth client `ID` (or $JWTRACE_CLIENT_ID)")
	f.StringVar(&opts.req.ClientSecret, "client-secret", "", "client `SECRET` for confidential clients ($JWTRACE_CLIENT_SECRET for client credentials)")
	f.StringSliceVar(&opts.scopes, "scope", nil, "`SCOPES` to ask for (space- or comma-separated, or repeated)")
	f.StringVar(&opts.req.Audience, "audience", "", "send audience=`AUD` (Auth0 and others)")
	f.StringVar(&opts.req.Resource, "resource", "", "send resource=`URI` (RFC 8707, AD FS)")
	f.StringArrayVar(&opts.params, "param", nil, "send an extra parameter `K=V` (repeatable)")
	f.StringVar(&opts.req.Grant, "grant", login.GrantDevice, "`GRANT`: device or client-credentials")
}

func newTokenCmd(s *ui.Streams, now func() time.Time) *cobra.Command {
	opts := &loginOptions{streams: s, now: now}
	opts.req.NoPrompt = true
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print the cached token of a login, refreshing it if needed",
		Long: `Token prints the token jwtrace login cached for the same flags (authority,
client, grant, scopes, audience, resource), refreshing it with its refresh
token when it has expired. It never asks a person: without a usable cached
token it fails with exit 4 and says to run jwtrace login. Client credentials
are fetched anew when needed, since they need no person.`,
		Example: `  curl -H "Authorization: Bearer $(jwtrace token --authority http://127.0.0.1:9400 --client-id jwtrace)" http://127.0.0.1:8080/api
  jwtrace token --authority https://idp.example --client-id cli --scope openid --id-token | jwtrace decode`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLogin(cmd.Context(), opts)
		},
	}
	opts.bind(cmd)
	return cmd
}

func runLogin(ctx context.Context, opts *loginOptions) error {
	s := opts.streams
	if ctx == nil {
		ctx = context.Background()
	}
	c, err := opts.prepare()
	if err != nil {
		return err
	}
	c.Prompt = func(p login.Prompt) { devicePrompt(s, p, !opts.noBrowser) }
	if opts.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.timeout)
		defer cancel()
	}
	req := &opts.req
	tok, err := c.Login(ctx, req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && opts.timeout > 0 && ctx.Err() != nil {
			return &timeoutError{fmt.Errorf("no token after --timeout %s", opts.timeout)}
		}
		return err
	}
	now := opts.now()
	fmt.Fprintln(s.ErrOut, loginSummary(tok, now))
	if opts.json {
		return ui.WriteJSON(s.Out, loginJSON(tok, now), s.StdoutIsTerminal())
	}
	out := tok.AccessToken
	if opts.idToken {
		if tok.IDToken == "" {
			return &usageError{errors.New("the response has no ID token: ask for the openid scope (--scope openid)")}
		}
		out = tok.IDToken
	}
	_, err = fmt.Fprintln(s.Out, out)
	return err
}

// prepare completes the request from the flags and the environment, checks
// it, and builds the client (with the token cache).
func (opts *loginOptions) prepare() (*login.Client, error) {
	s := opts.streams
	req := &opts.req
	if req.ClientID == "" {
		req.ClientID = s.Getenv("JWTRACE_CLIENT_ID")
	}
	if req.ClientSecret == "" && req.Grant == login.GrantClientCredentials {
		// The variable is for CI's client credentials; a device login with
		// a public client must not pick up a secret meant for another job.
		req.ClientSecret = s.Getenv("JWTRACE_CLIENT_SECRET")
	}
	for _, sc := range opts.scopes {
		req.Scopes = append(req.Scopes, strings.Fields(sc)...)
	}
	req.Params = url.Values{}
	for _, p := range opts.params {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, &usageError{fmt.Errorf("--param %q: want K=V", p)}
		}
		req.Params.Add(k, v)
	}
	if req.Authority == "" && req.TokenEndpoint == "" {
		return nil, &usageError{errors.New("no authority: give --authority URL (or --token-endpoint and --device-endpoint)")}
	}
	if req.Authority != "" {
		if _, err := checkURLFlag("--authority", req.Authority, opts.http.allowHTTP); err != nil {
			return nil, err
		}
	}
	hc, err := opts.http.client(s, 30*time.Second)
	if err != nil {
		return nil, err
	}
	c := &login.Client{HTTP: hc, Fetcher: opts.http.fetcher(s, hc, opts.now), Now: opts.now}
	if dir := cacheDir(s); dir != "" {
		c.Cache = &login.Cache{Dir: filepath.Join(dir, "tokens")}
	}
	return c, nil
}

// timeoutError is a --timeout that ran out (exit 3).
type timeoutError struct{ err error }

func (e *timeoutError) Error() string { return e.err.Error() }
func (e *timeoutError) Unwrap() error { return e.err }

// devicePrompt shows the code and URL in a box on stderr, then opens the
// browser at the complete URL when the server gives one. The box comes
// first, so a browser that is slow to start (or never returns) cannot hide
// the code.
func devicePrompt(s *ui.Streams, p login.Prompt, open bool) {
	target := p.VerificationURI
	if p.VerificationURIComplete != "" {
		target = p.VerificationURIComplete
	}
	lines := []string{
		"To sign in, open  " + ui.Safe(p.VerificationURI),
		"and enter the code   " + ui.Safe(p.UserCode),
	}
	if p.VerificationURIComplete != "" && p.VerificationURIComplete != p.VerificationURI {
		lines = append(lines, "or open  "+ui.Safe(p.VerificationURIComplete))
	}
	if !open {
		lines = append(lines, "(open it in a browser on any device)")
	}
	fmt.Fprintln(s.ErrOut, s.Printer(s.ErrOut).Box(lines))
	if open {
		fmt.Fprintln(s.ErrOut, browse(target))
	}
	fmt.Fprintf(s.ErrOut, "Waiting for approval… (expires in %s, polling every %s)\n",
		decode.HumanSeconds(int64(p.ExpiresIn/time.Second)), decode.HumanSeconds(int64(p.Interval/time.Second)))
}

// browse opens target in the browser and says how that went. Only http and
// https URLs are opened: the URL comes from the server, and an OS opener
// given file: or another scheme can start programs. A browser that has not
// answered after two seconds is left to itself.
func browse(target string) string {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "Not opening a browser: the server's URL is not an http(s) URL; open it yourself if you trust it."
	}
	done := make(chan error, 1)
	go func() { done <- openBrowser(u.String()) }()
	select {
	case err := <-done:
		if err != nil {
			return "Could not open a browser; open the URL yourself."
		}
		return "The browser was opened for you."
	case <-time.After(2 * time.Second):
		return "The browser is starting; if it does not, open the URL yourself."
	}
}

// loginSummary is the stderr line after a login: who, for what, how long.
func loginSummary(tok *login.Token, now time.Time) string {
	var parts []string
	verb := "Signed in"
	switch tok.Source {
	case "cache":
		verb = "Using the cached token"
	case "refresh":
		verb = "Refreshed the cached token"
	}
	sum := summarize(tok.AccessToken, now)
	if sum != nil && sum.who != "" {
		parts = append(parts, verb+" as "+ui.Safe(sum.who))
	} else {
		parts = append(parts, verb)
	}
	if sum != nil && sum.aud != "" {
		parts = append(parts, "aud "+ui.Safe(sum.aud))
	}
	switch {
	case !tok.Expiry.IsZero():
		left := tok.Expiry.Sub(now)
		if left > 10*time.Minute {
			left = left.Round(time.Minute) // "1h", not "59m59s"
		}
		parts = append(parts, "expires in "+decode.HumanSeconds(int64(left/time.Second)))
	case sum != nil && sum.exp != "":
		parts = append(parts, sum.exp)
	}
	if sum == nil {
		if strings.Count(tok.AccessToken, ".") == 4 && strings.HasPrefix(tok.AccessToken, "eyJ") {
			// zitadel's "Bearer" access tokens are JWEs for itself.
			parts = append(parts, "encrypted access token (JWE: only its issuer can read it)")
		} else {
			parts = append(parts, "opaque access token (not a JWT)")
		}
	}
	return strings.Join(parts, " · ")
}

type tokenSummary struct {
	who, aud, exp string
	claims        *decode.Object
}

// summarize decodes a JWT access or ID token for the summary; nil for
// opaque tokens.
func summarize(compact string, now time.Time) *tokenSummary {
	if compact == "" {
		return nil
	}
	t, err := decode.Parse(compact, "token", decode.Options{Now: now})
	if err != nil || t.Claims == nil {
		return nil
	}
	sum := &tokenSummary{claims: t.Claims}
	for _, name := range []string{"preferred_username", "email", "upn", "name", "sub", "client_id", "azp"} {
		if v, ok := t.Claims.String(name); ok && v != "" {
			sum.who = v
			break
		}
	}
	if v, ok := t.Claims.Get("aud"); ok {
		sum.aud = strings.Trim(string(v), `[]"`)
		sum.aud = strings.ReplaceAll(sum.aud, `","`, ", ")
	}
	for _, tm := range t.Times {
		if tm.Claim == "exp" {
			sum.exp = tm.Relative
		}
	}
	return sum
}

// loginJSON is login --json's object: the token response with the
// tokens' claims decoded.
func loginJSON(tok *login.Token, now time.Time) map[string]any {
	m := map[string]any{
		"access_token": tok.AccessToken,
		"token_type":   tok.TokenType,
		"source":       tok.Source,
	}
	if !tok.Expiry.IsZero() {
		m["expiry"] = tok.Expiry.UTC().Format(time.RFC3339)
		m["expires_in"] = int64(tok.Expiry.Sub(now) / time.Second)
	}
	if tok.RefreshToken != "" {
		m["refresh_token"] = tok.RefreshToken
	}
	if tok.Scope != "" {
		m["scope"] = tok.Scope
	}
	if s := summarize(tok.AccessToken, now); s != nil {
		m["access_token_claims"] = s.claims
	}
	if tok.IDToken != "" {
		m["id_token"] = tok.IDToken
		if s := summarize(tok.IDToken, now); s != nil {
			m["id_token_claims"] = s.claims
		}
	}
	return m
}

type logoutOptions struct {
	streams  *ui.Streams
	clientID string
	json     bool
}

func newLogoutCmd(s *ui.Streams) *cobra.Command {
	opts := &logoutOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Remove cached tokens",
		Long: `Logout removes the tokens jwtrace login cached: all of them, or those of one
client with --client-id. It does not revoke them at the authority.`,
		Example: `  jwtrace logout
  jwtrace logout --client-id jwtrace`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := cacheDir(s)
			if dir == "" {
				return errors.New("no cache directory (neither $JWTRACE_CACHE_DIR nor a user cache directory): nothing to remove")
			}
			c := &login.Cache{Dir: filepath.Join(dir, "tokens")}
			var match func(login.CacheLogin) bool
			if opts.clientID != "" {
				match = func(l login.CacheLogin) bool { return l.ClientID == opts.clientID }
			}
			n, err := c.Clear(match)
			if err != nil {
				return err
			}
			if opts.json {
				return ui.WriteJSON(s.Out, map[string]int{"removed": n}, false)
			}
			plural := "s"
			if n == 1 {
				plural = ""
			}
			fmt.Fprintf(s.ErrOut, "Removed %d cached token%s.\n", n, plural)
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.clientID, "client-id", "", "remove only the tokens of this client `ID`")
	cmd.Flags().BoolVar(&opts.json, "json", false, `print {"removed": N}`)
	return cmd
}
