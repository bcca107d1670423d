package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/ui"
	"github.com/jwtrace/jwtrace/login"
)

type loginOptions struct {
	streams *ui.Streams
	now     func() time.Time
	// browser opens a URL (Deps.OpenBrowser); sleep is the device poll
	// loop's wait (Deps.PollSleep, nil for a timer).
	browser func(string) error
	sleep   func(ctx context.Context, d time.Duration) error

	req       login.Request
	scopes    []string
	params    []string
	noBrowser bool
	timeout   time.Duration
	idToken   bool
	json      bool
	http      httpFlags

	clientKeyFile   string
	clientKeyID     string
	clientAssertion string
	// protectedResource is login's --protected-resource.
	protectedResource string
}

// loginOpts are the options of the commands that log in, on d.
func loginOpts(d *Deps) loginOptions {
	return loginOptions{streams: d.Streams, now: d.Now, browser: d.OpenBrowser, sleep: d.PollSleep}
}

func newLoginCmd(d *Deps) *cobra.Command {
	s, now := d.Streams, d.Now
	lo := loginOpts(d)
	opts := &lo
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Get a token with the device flow or a browser sign-in (people), or client credentials (CI)",
		Long: `Login gets a token. By default it runs the OAuth 2.0 device authorization
grant (RFC 8628): it shows a code and a URL on stderr, opens the browser, and
waits while you approve; if the authority cannot be reached while it waits,
it says so on stderr as it happens and gives up (exit 3) after 5 failed polls
in a row.

--grant auth-code signs in in the browser instead (authorization code with
PKCE S256, RFC 7636; what kubelogin and the Azure CLI use where the device
flow is blocked): jwtrace listens on 127.0.0.1 on a random port
(--redirect-port, --redirect-uri for a registered one, --redirect-host
localhost), opens the authorization URL (--no-browser prints it on stderr),
checks state and nonce, and verifies the ID token with the authority's JWKS
(signature, iss, aud = the client). It waits 5 minutes unless --timeout.

--grant client-credentials (or client_credentials) gets a token for a
service, for CI: with a client secret, a private key (--client-key FILE,
private_key_jwt, RFC 7523), or a federated token (--client-assertion
FILE, env:NAME or -). The client authentication (--client-auth) is chosen
from the credentials and discovery's token_endpoint_auth_methods_supported:
client_secret_basic, client_secret_post, private_key_jwt,
client_assertion, or none for public clients.

The access token is printed on stdout and nothing else, so
TOKEN=$(jwtrace login ...) works; --id-token prints the ID token, --json the
whole response with decoded summaries. A one-line summary goes to stderr.

--protected-resource URL logs in for a service that publishes OAuth 2.0
Protected Resource Metadata (RFC 9728), as MCP clients do: jwtrace reads it
at the well-known URL built from URL (without a token), logs in at its first
authorization server (or at --authority, if that is one of them), and sends
resource= (RFC 8707) with the metadata's resource, so that the token's
audience is the service. A client credential goes only to an authority you
name: with --client-secret, --client-key or --client-assertion, give
--authority too. --resource is then refused: the metadata names the
resource; without --protected-resource, --resource sends what you give.

Tokens are cached (files readable only by you) per authority, client,
grant and scopes: an unexpired token is reused, an expired one is refreshed
with its refresh token. --force logs in again; jwtrace logout clears the
cache.

Exit status: 0 logged in, 2 usage error, 3 the authority failed or could
not be reached (or answered with an ID token that does not verify), 4 the
login was denied or expired, 130 interrupted.`,
		Example: `  jwtrace login --authority https://login.microsoftonline.com/$TENANT/v2.0 --client-id $APP --scope api://workouts/.default
  TOKEN=$(jwtrace login --authority http://127.0.0.1:9400 --client-id jwtrace --scope 'openid workouts.read')
  jwtrace login --grant auth-code --authority http://127.0.0.1:9400 --client-id jwtrace --scope 'openid offline_access'
  jwtrace login --authority https://idp.example --client-id ci --grant client-credentials --audience api://orders  # secret in $JWTRACE_CLIENT_SECRET
  jwtrace login --grant client_credentials --authority https://idp.example --client-id ci --client-key ci.pem --client-key-id ci-1
  jwtrace login --grant client_credentials --authority https://login.microsoftonline.com/$TENANT/v2.0 --client-id $APP --client-assertion env:ACTIONS_ID_TOKEN --scope api://orders/.default
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
	f.DurationVar(&opts.timeout, "timeout", 0, "give up after this long (default: when the device code expires; 5m for auth-code)")
	f.StringVar(&opts.req.AuthorizationEndpoint, "authorization-endpoint", "", "authorization endpoint `URL` for auth-code (without discovery)")
	f.StringVar(&opts.req.RedirectURI, "redirect-uri", "", "auth-code: listen on this registered loopback redirect `URI` (default http://127.0.0.1:PORT/callback)")
	f.IntVar(&opts.req.RedirectPort, "redirect-port", 0, "auth-code: listen on this `PORT` (default: a random one)")
	f.StringVar(&opts.req.RedirectHost, "redirect-host", "127.0.0.1", "auth-code: the redirect URI's `HOST`: 127.0.0.1, [::1] or localhost")
	f.StringVar(&opts.req.LoginPrompt, "prompt", "", "auth-code: send prompt=`VALUE` (login, consent, select_account, none)")
	f.StringVar(&opts.req.LoginHint, "login-hint", "", "auth-code: send login_hint=`USER`")
	f.StringVar(&opts.protectedResource, "protected-resource", "", "log in for the service at `URL`: its RFC 9728 metadata names the authority and the resource= to send (not with --resource)")
	cmd.AddCommand(newLoginStatusCmd(s, now))
	return cmd
}

func newLoginStatusCmd(s *ui.Streams, now func() time.Time) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List the cached logins (never a token)",
		Long: `Status lists the logins jwtrace has cached: authority, client, grant, scopes,
audience, resource, when the token expires and whether a refresh token is
kept. It never prints a token; jwtrace token prints one.`,
		Example: `  jwtrace login status
  jwtrace login status --json | jq '.[] | select(.has_refresh_token)'`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var list []login.CachedLogin
			if dir := cacheDir(s); dir != "" {
				var err error
				if list, err = (&login.Cache{Dir: filepath.Join(dir, "tokens")}).List(); err != nil {
					return err
				}
			}
			t := now()
			if asJSON {
				out := make([]map[string]any, 0, len(list))
				for _, l := range list {
					m := map[string]any{"authority": l.Authority, "token_endpoint": l.TokenEndpoint, "client_id": l.ClientID, "grant": l.Grant,
						"scopes": l.Scopes, "audience": l.Audience, "resource": l.Resource, "has_refresh_token": l.HasRefreshToken, "has_id_token": l.HasIDToken}
					if m["scopes"] == nil {
						m["scopes"] = []string{}
					}
					if !l.Expiry.IsZero() {
						m["expiry"] = l.Expiry.UTC().Format(time.RFC3339)
						m["expires_in"] = int64(l.Expiry.Sub(t) / time.Second)
					}
					out = append(out, m)
				}
				return ui.WriteJSON(s.Out, out, s.StdoutIsTerminal())
			}
			if len(list) == 0 {
				fmt.Fprintln(s.ErrOut, "No cached logins.")
				return nil
			}
			for i, l := range list {
				if i > 0 {
					fmt.Fprintln(s.Out)
				}
				where := l.Authority
				if where == "" {
					where = l.TokenEndpoint
				}
				fmt.Fprintf(s.Out, "%s · client %s · %s\n", ui.Safe(where), ui.Safe(l.ClientID), ui.Safe(l.Grant))
				var parts []string
				if len(l.Scopes) > 0 {
					parts = append(parts, "scopes "+ui.Safe(strings.Join(l.Scopes, " ")))
				}
				if l.Audience != "" {
					parts = append(parts, "audience "+ui.Safe(l.Audience))
				}
				if l.Resource != "" {
					parts = append(parts, "resource "+ui.Safe(l.Resource))
				}
				switch left := l.Expiry.Sub(t); {
				case l.Expiry.IsZero():
					parts = append(parts, "no stated expiry")
				case left > 0:
					if left > 10*time.Minute {
						left = left.Round(time.Minute) // "1h", not "59m59s", as loginSummary
					}
					parts = append(parts, "expires in "+decode.HumanSeconds(int64(left/time.Second)))
				default:
					parts = append(parts, "expired "+decode.HumanSeconds(int64(-left/time.Second))+" ago")
				}
				if l.HasRefreshToken {
					parts = append(parts, "refresh token kept")
				} else {
					parts = append(parts, "no refresh token")
				}
				fmt.Fprintln(s.Out, "  "+strings.Join(parts, " · "))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the logins as a JSON array")
	return cmd
}

// bind adds the flags that name a login, shared by login and token.
func (opts *loginOptions) bind(cmd *cobra.Command) {
	f := cmd.Flags()
	opts.bindRequest(f)
	f.BoolVar(&opts.idToken, "id-token", false, "print the ID token instead of the access token")
	f.BoolVar(&opts.json, "json", false, "print the whole response as JSON, with decoded summaries")
	opts.http.bind(f)
	opts.bindClientAuth(f)
	_ = cmd.RegisterFlagCompletionFunc("grant", cobra.FixedCompletions(login.Grants, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("client-auth", cobra.FixedCompletions(login.AuthMethods, cobra.ShellCompDirectiveNoFileComp))
}

// bindClientAuth binds how the client authenticates, besides its secret:
// login and token, and chain --login.
func (opts *loginOptions) bindClientAuth(f *pflag.FlagSet) {
	f.StringVar(&opts.req.ClientAuth, "client-auth", "", "client authentication `METHOD`: client_secret_basic, client_secret_post, private_key_jwt, client_assertion or none (default: from the credentials and discovery)")
	f.StringVar(&opts.clientKeyFile, "client-key", "", "private key `FILE` (PEM or JWK) to sign client assertions with (private_key_jwt, RFC 7523)")
	f.StringVar(&opts.clientKeyID, "client-key-id", "", "the `KID` of --client-key, put in the assertion's header")
	f.StringVar(&opts.clientAssertion, "client-assertion", "", "a client assertion (a federated token) from `FILE`, env:NAME, or - for stdin")
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
	f.StringVar(&opts.req.Grant, "grant", login.GrantDevice, "`GRANT`: device, auth-code, or client-credentials (client_credentials)")
}

func newTokenCmd(d *Deps) *cobra.Command {
	lo := loginOpts(d)
	opts := &lo
	opts.req.NoPrompt = true
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print the cached token of a login, refreshing it if needed",
		Long: `Token prints the token jwtrace login cached for the same flags (authority,
client, grant, scopes, audience, resource), refreshing it with its refresh
token when it has expired. With fewer flags, or none, it uses the one cached
login they fit; when several fit, it lists their flags and exits 2. It
never asks a person: without a usable cached token it fails with exit 4 and
says to run jwtrace login. Client credentials are fetched anew when needed,
since they need no person.`,
		Example: `  jwtrace token
  curl -H "Authorization: Bearer $(jwtrace token --authority http://127.0.0.1:9400 --client-id jwtrace)" http://127.0.0.1:8080/api
  jwtrace token --authority https://idp.example --client-id cli --scope openid --id-token | jwtrace decode`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			err := runLogin(cmd.Context(), opts)
			var de *login.DeniedError
			var ce *login.ConfigError
			// The flags name no cached login exactly: no endpoint at all,
			// no client, or a login that differs from the cached ones.
			if errors.Is(err, errNoAuthority) || (errors.As(err, &de) && de.Code == "login_required") || (errors.As(err, &ce) && opts.req.ClientID == "") {
				return opts.fromCandidates(cmd.Context(), cmd.Flags().Changed("grant"), err)
			}
			return err
		},
	}
	opts.bind(cmd)
	return cmd
}

// fromCandidates is jwtrace token with partial flags: when the flags name
// no cached login exactly, the one cached login they fit is used (its
// scopes, audience, ...), and several are listed for the user to pick.
func (opts *loginOptions) fromCandidates(ctx context.Context, grantGiven bool, notFound error) error {
	s := opts.streams
	dir := cacheDir(s)
	if dir == "" {
		return notFound
	}
	cache := &login.Cache{Dir: filepath.Join(dir, "tokens")}
	list, err := cache.List()
	if err != nil {
		return err
	}
	partial := opts.req
	if !grantGiven {
		partial.Grant = ""
	}
	var match []login.CachedLogin
	for _, l := range list {
		if l.Matches(&partial) && login.CacheKey(l.Request()) == l.Key {
			match = append(match, l)
		}
	}
	switch len(match) {
	case 0:
		return notFound
	case 1:
	default:
		lines := []string{fmt.Sprintf("%d cached logins fit these flags; add flags to pick one:", len(match))}
		for _, l := range match {
			lines = append(lines, "  "+candidateFlags(l))
		}
		return &usageError{errors.New(strings.Join(lines, "\n"))}
	}
	req := match[0].Request()
	req.NoPrompt = true
	req.ClientSecret, req.ClientKey, req.ClientAssertion, req.ClientAuth = opts.req.ClientSecret, opts.req.ClientKey, opts.req.ClientAssertion, opts.req.ClientAuth
	opts.req = *req
	opts.scopes, opts.params = nil, nil
	for k, vs := range req.Params {
		for _, v := range vs {
			opts.params = append(opts.params, k+"="+v)
		}
	}
	opts.req.Scopes = nil
	opts.scopes = []string{strings.Join(req.Scopes, " ")}
	return runLogin(ctx, opts)
}

// candidateFlags are the flags that name a cached login.
func candidateFlags(l login.CachedLogin) string {
	var parts []string
	add := func(flag, v string) {
		if v != "" {
			parts = append(parts, flag+" "+shellQuote(v))
		}
	}
	add("--authority", l.Authority)
	add("--token-endpoint", l.GivenTokenEndpoint)
	add("--client-id", l.ClientID)
	add("--grant", l.Grant)
	add("--scope", strings.Join(l.Scopes, " "))
	add("--audience", l.Audience)
	add("--resource", l.Resource)
	return ui.Safe(strings.Join(parts, " "))
}

// shellQuote quotes v for a shell when it needs it.
func shellQuote(v string) string {
	if v != "" && strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/@%+=,") == "" {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

func runLogin(ctx context.Context, opts *loginOptions) error {
	s := opts.streams
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.protectedResource != "" {
		if err := opts.discoverResource(ctx); err != nil {
			return err
		}
	}
	c, err := opts.prepare()
	if err != nil {
		return err
	}
	open := opts.browser
	if opts.noBrowser {
		open = nil
	}
	c.Prompt = func(p login.Prompt) { devicePrompt(s, p, open) }
	c.Browse = func(p login.AuthPrompt) { authPrompt(s, p, open) }
	if opts.timeout == 0 && opts.req.Grant == login.GrantAuthCode && !opts.req.NoPrompt {
		opts.timeout = 5 * time.Minute
	}
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

// discoverResource fills --authority and --resource from the metadata of
// --protected-resource.
func (opts *loginOptions) discoverResource(ctx context.Context) error {
	s, req := opts.streams, &opts.req
	if req.Resource != "" {
		return &usageError{errors.New("give --protected-resource or --resource, not both: --protected-resource sends resource= with the resource its metadata names")}
	}
	if _, err := checkURLFlag("--protected-resource", opts.protectedResource, opts.http.allowHTTP); err != nil {
		return err
	}
	hc, err := opts.http.client(s, 30*time.Second)
	if err != nil {
		return err
	}
	c := &login.Client{HTTP: hc, Fetcher: opts.http.fetcher(s, hc, opts.now), Now: opts.now}
	named := req.Authority
	pr, err := c.DiscoverResource(ctx, opts.protectedResource, req.Authority)
	if err != nil {
		return err
	}
	// The service names the authority. A person signs in there in the
	// browser and sees where; a client credential would go there unseen,
	// so it goes only to an authority the user named: a hostile service
	// must not collect client secrets by naming its own.
	secret := req.ClientSecret != "" || login.NormalizeGrant(req.Grant) == login.GrantClientCredentials && s.Getenv("JWTRACE_CLIENT_SECRET") != ""
	if named == "" && (secret || opts.clientKeyFile != "" || opts.clientAssertion != "") {
		return &usageError{fmt.Errorf("%s names authority %s: jwtrace sends a client credential only to an authority you name; add --authority %s",
			ui.Safe(pr.Metadata.URL), ui.Safe(pr.Authority), ui.Safe(pr.Authority))}
	}
	req.Authority, req.Resource = pr.Authority, pr.Resource
	fmt.Fprintf(s.ErrOut, "%s names authority %s; asking for resource=%s\n", ui.Safe(pr.Metadata.URL), ui.Safe(pr.Authority), ui.Safe(pr.Resource))
	return nil
}

// errNoAuthority is prepare's usage error when the flags name no
// endpoint; jwtrace token then looks for the cached login that fits.
var errNoAuthority = errors.New("no authority: give --authority URL (or --token-endpoint and --device-endpoint)")

// prepare completes the request from the flags and the environment, checks
// it, and builds the client (with the token cache).
func (opts *loginOptions) prepare() (*login.Client, error) {
	s := opts.streams
	req := &opts.req
	if req.ClientID == "" {
		req.ClientID = s.Getenv("JWTRACE_CLIENT_ID")
	}
	req.Grant = login.NormalizeGrant(req.Grant)
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
		return nil, &usageError{errNoAuthority}
	}
	c, err := opts.newClient()
	if err != nil {
		return nil, err
	}
	c.Retry = func(e login.RetryEvent) {
		what := "authority unreachable: " + e.Reason
		if strings.HasPrefix(e.Reason, "answered ") {
			what = "the authority " + e.Reason
		}
		fmt.Fprintf(s.ErrOut, "%s; retrying in %s (%d of %d)\n", ui.Safe(what), decode.HumanSeconds(int64(e.Wait/time.Second)), e.Attempt, e.Max)
	}
	if dir := cacheDir(s); dir != "" {
		c.Cache = &login.Cache{Dir: filepath.Join(dir, "tokens")}
	}
	return c, nil
}

// newClient checks --authority, reads the client credentials and builds
// the login client on the command's HTTP client (login, token, introspect,
// userinfo).
func (opts *loginOptions) newClient() (*login.Client, error) {
	s := opts.streams
	if u := opts.req.Authority; u != "" {
		if _, err := checkURLFlag("--authority", u, opts.http.allowHTTP); err != nil {
			return nil, err
		}
	}
	if err := opts.readCredentials(); err != nil {
		return nil, err
	}
	hc, err := opts.http.client(s, 30*time.Second)
	if err != nil {
		return nil, err
	}
	return &login.Client{HTTP: hc, Fetcher: opts.http.fetcher(s, hc, opts.now), Now: opts.now, Sleep: opts.sleep}, nil
}

// readCredentials reads --client-key and --client-assertion.
func (opts *loginOptions) readCredentials() error {
	s := opts.streams
	req := &opts.req
	if opts.clientKeyFile != "" {
		b, err := readBounded(s, opts.clientKeyFile, 64<<10)
		if err != nil {
			return &usageError{fmt.Errorf("--client-key %s: %v", opts.clientKeyFile, err)}
		}
		k, err := login.ParseClientKey(b, opts.clientKeyID)
		if err != nil {
			return &usageError{fmt.Errorf("--client-key %s: %v", opts.clientKeyFile, err)}
		}
		req.ClientKey = k
	} else if opts.clientKeyID != "" {
		return &usageError{errors.New("--client-key-id names the kid of --client-key FILE; give the key too")}
	}
	if a := opts.clientAssertion; a != "" {
		var b []byte
		var err error
		switch {
		case strings.HasPrefix(a, "env:"):
			v := s.Getenv(strings.TrimPrefix(a, "env:"))
			if v == "" {
				return &usageError{fmt.Errorf("--client-assertion %s: the variable is empty or not set", a)}
			}
			b = []byte(v)
		default:
			b, err = readBounded(s, a, 64<<10)
			if err != nil {
				return &usageError{fmt.Errorf("--client-assertion %s: %v", a, err)}
			}
		}
		tok := strings.TrimSpace(string(b))
		if strings.Count(tok, ".") != 2 || strings.ContainsAny(tok, " \t\r\n") {
			return &usageError{fmt.Errorf("--client-assertion %s: not a compact JWT (three dot-separated parts)", a)}
		}
		req.ClientAssertion = tok
	}
	if req.ClientKey != nil && req.ClientAssertion != "" {
		return &usageError{errors.New("give --client-key or --client-assertion, not both")}
	}
	return nil
}

// readBounded reads a file, or stdin for "-", up to limit bytes.
func readBounded(s *ui.Streams, name string, limit int64) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = s.In
	} else {
		f, err := os.Open(name)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				return nil, pe.Err
			}
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}

// authPrompt shows the authorization URL on stderr, on a line of its own,
// and opens the browser on it unless --no-browser.
func authPrompt(s *ui.Streams, p login.AuthPrompt, open func(string) error) {
	fmt.Fprintln(s.ErrOut, "To sign in, open this URL in a browser:")
	fmt.Fprintln(s.ErrOut, ui.Safe(p.URL))
	if open != nil {
		fmt.Fprintln(s.ErrOut, browse(open, p.URL))
	}
	fmt.Fprintf(s.ErrOut, "Waiting for the sign-in at %s…\n", ui.Safe(p.RedirectURI))
}

// timeoutError is a --timeout that ran out (exit 3).
type timeoutError struct{ err error }

func (e *timeoutError) Error() string { return e.err.Error() }
func (e *timeoutError) Unwrap() error { return e.err }

// devicePrompt shows the code and URL in a box on stderr, then opens the
// browser at the complete URL when the server gives one. The box comes
// first, so a browser that is slow to start (or never returns) cannot hide
// the code.
func devicePrompt(s *ui.Streams, p login.Prompt, open func(string) error) {
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
	if open == nil {
		lines = append(lines, "(open it in a browser on any device)")
	}
	fmt.Fprintln(s.ErrOut, s.Printer(s.ErrOut).Box(lines))
	if open != nil {
		fmt.Fprintln(s.ErrOut, browse(open, target))
	}
	fmt.Fprintf(s.ErrOut, "Waiting for approval… (expires in %s, polling every %s)\n",
		decode.HumanSeconds(int64(p.ExpiresIn/time.Second)), decode.HumanSeconds(int64(p.Interval/time.Second)))
}

// browse opens target in the browser and says how that went. Only http and
// https URLs are opened: the URL comes from the server, and an OS opener
// given file: or another scheme can start programs. A browser that has not
// answered after two seconds is left to itself.
func browse(open func(string) error, target string) string {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "Not opening a browser: the server's URL is not an http(s) URL; open it yourself if you trust it."
	}
	done := make(chan error, 1)
	go func() { done <- open(u.String()) }()
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
	who := ""
	if sum != nil && sum.user {
		who = sum.who
	} else if id := summarize(tok.IDToken, now); id != nil && id.user {
		// An opaque access token (Ory Hydra, oidc-provider without a
		// resource) or one naming only the client: the ID token names
		// the user (OIDC Core §2: sub, the End-User).
		who = id.who
	} else if sum != nil {
		who = sum.who
	}
	if who != "" {
		parts = append(parts, verb+" as "+ui.Safe(who))
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
	// user: who names a user, not only the client (client_id, azp).
	user   bool
	claims *decode.Object
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
			sum.who, sum.user = v, name != "client_id" && name != "azp"
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
	loginOptions
	all    bool
	revoke bool
}

func newLogoutCmd(d *Deps) *cobra.Command {
	opts := &logoutOptions{loginOptions: loginOpts(d)}
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Remove cached tokens, and revoke them with --revoke",
		Long: `Logout removes the tokens jwtrace login cached: all of them (--all, or no
flag), those of one authority (--authority URL), or of one client
(--client-id). With --revoke it first revokes each one's refresh token (or
access token) at its authority's revocation endpoint (RFC 7009), as the
client it was issued to; a confidential client needs its credential
(--client-secret or $JWTRACE_CLIENT_SECRET, --client-key). A token that
cannot be revoked is removed all the same, and the reason told.`,
		Example: `  jwtrace logout
  jwtrace logout --authority http://127.0.0.1:9400 --revoke
  jwtrace logout --client-id jwtrace`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLogout(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.req.ClientID, "client-id", "", "remove only the tokens of this client `ID`")
	f.StringVar(&opts.req.Authority, "authority", "", "remove only the tokens of this authority `URL`")
	f.BoolVar(&opts.all, "all", false, "remove every cached token")
	f.BoolVar(&opts.revoke, "revoke", false, "revoke the tokens at their authorities first (RFC 7009)")
	f.StringVar(&opts.req.ClientSecret, "client-secret", "", "with --revoke: the client `SECRET` of a confidential client (or $JWTRACE_CLIENT_SECRET)")
	f.StringVar(&opts.clientKeyFile, "client-key", "", "with --revoke: the private key `FILE` of a private_key_jwt client")
	f.StringVar(&opts.clientKeyID, "client-key-id", "", "the `KID` of --client-key")
	f.BoolVar(&opts.json, "json", false, `print {"removed": N, "revoked": N, "problems": [...]}`)
	opts.http.bind(f)
	return cmd
}

func runLogout(ctx context.Context, opts *logoutOptions) error {
	s := opts.streams
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.all && (opts.req.ClientID != "" || opts.req.Authority != "") {
		return &usageError{errors.New("--all removes every cached token; leave out --client-id and --authority, or --all")}
	}
	dir := cacheDir(s)
	if dir == "" {
		return &inputError{errors.New("no cache directory (neither $JWTRACE_CACHE_DIR nor a user cache directory): nothing to remove")}
	}
	var match func(login.CacheLogin) bool
	if id, auth := opts.req.ClientID, strings.TrimRight(opts.req.Authority, "/"); id != "" || auth != "" {
		match = func(l login.CacheLogin) bool {
			return (id == "" || l.ClientID == id) && (auth == "" || strings.TrimRight(l.Authority, "/") == auth)
		}
	}
	if opts.req.ClientSecret == "" {
		opts.req.ClientSecret = s.Getenv("JWTRACE_CLIENT_SECRET")
	}
	c := &login.Client{Cache: &login.Cache{Dir: filepath.Join(dir, "tokens")}}
	if opts.revoke {
		if err := opts.readCredentials(); err != nil {
			return err
		}
		hc, err := opts.http.client(s, 30*time.Second)
		if err != nil {
			return err
		}
		c.HTTP, c.Fetcher = hc, opts.http.fetcher(s, hc, opts.now)
	}
	res, err := c.Logout(ctx, match, opts.revoke, &opts.req)
	if err != nil {
		return err
	}
	if opts.json {
		if res.Problems == nil {
			res.Problems = []string{}
		}
		return ui.WriteJSON(s.Out, res, false)
	}
	for _, p := range res.Problems {
		fmt.Fprintln(s.ErrOut, "Not revoked: "+ui.Safe(p))
	}
	plural := "s"
	if res.Removed == 1 {
		plural = ""
	}
	if opts.revoke {
		fmt.Fprintf(s.ErrOut, "Removed %d cached token%s; %d revoked at the authority.\n", res.Removed, plural, res.Revoked)
	} else {
		fmt.Fprintf(s.ErrOut, "Removed %d cached token%s.\n", res.Removed, plural)
	}
	return nil
}
