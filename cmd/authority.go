package cmd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/internal/ui"
)

func newAuthorityCmd(d *Deps) *cobra.Command {
	s, now := d.Streams, d.Now
	cmd := &cobra.Command{
		Use:   "authority",
		Short: "Run a local OpenID Connect authority, so everything works offline",
		Long: `A local OpenID Connect authority for development and tests: discovery,
a JWKS, a token endpoint (client credentials, device code, refresh token)
and a device authorization endpoint with an approval page.

It is a test authority: nobody types a password, and --auto-approve signs
every device code in at once. It listens on loopback only unless told
otherwise.

Keys live in a state directory (--state; default $JWTRACE_AUTHORITY_DIR, else
jwtrace/authority under your config directory), so tokens stay verifiable
across restarts; jwtrace mint signs with the same keys.`,
		Example: `  jwtrace authority serve
  jwtrace authority serve --addr 127.0.0.1:0 --auto-approve alice --alg ES256
  jwtrace authority rotate
  jwtrace authority keys --jwks > jwks.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return unknownSubcommand(cmd, args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newAuthorityServeCmd(s, now), newAuthorityRotateCmd(s, now), newAuthorityKeysCmd(s))
	return cmd
}

// stateFlag binds --state with its default.
func stateFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "state", "", "keep the keys in `DIR` (default $JWTRACE_AUTHORITY_DIR, else jwtrace/authority under the user config directory)")
	_ = cmd.MarkFlagDirname("state")
}

// stateDir is --state, $JWTRACE_AUTHORITY_DIR, or the default.
func stateDir(s *ui.Streams, flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if d := s.Getenv("JWTRACE_AUTHORITY_DIR"); d != "" {
		return d, nil
	}
	d, err := authority.DefaultStateDir(func() (string, error) { return userConfigDir(s.Getenv) })
	if err != nil {
		return "", &usageError{fmt.Errorf("no state directory: %v; give --state DIR", err)}
	}
	return d, nil
}

type authorityServeOptions struct {
	streams *ui.Streams
	now     func() time.Time
	ctx     context.Context

	addr        string
	allowRemote bool
	issuer, url string
	state       string
	ephemeral   bool
	alg         string
	ttl         time.Duration
	typ         string
	scopeClaim  string
	audience    []string
	clients     []string
	users       []string
	configFile  string
	autoApprove string
	deviceTTL   time.Duration
	interval    time.Duration
	quiet       bool
	json        bool
}

func newAuthorityServeCmd(s *ui.Streams, now func() time.Time) *cobra.Command {
	opts := &authorityServeOptions{streams: s, now: now}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve discovery, JWKS, token and device endpoints on loopback",
		Long: `Serve runs the authority until Ctrl-C. It prints its URL on stdout (one
line, so scripts can read it; --json for the endpoints as a JSON object),
what it serves on stderr, and then one line per request on stderr.

Out of the box it has a public client "jwtrace" (device code and refresh
token grants), a confidential client "jwtrace-service" with the secret
"jwtrace-service-secret" (client credentials too), a user "alice" (name
Alice Example, email alice@example.com), the audience api://default, RS256
keys, access tokens of typ at+jwt that live 1h, and device codes that live
10m with a 5s polling interval.

--client and --user replace the default clients and users; --config FILE
(JSON) adds clients and users with audiences, allowed scopes and claims:

  {"clients": [{"client_id": "orders", "client_secret": "s3cret",
                "audience": ["api://orders"], "scopes": ["orders.read"],
                "claims": {"roles": ["reader"]}}],
   "users": [{"sub": "bob", "claims": {"name": "Bob", "email": "bob@example.com"}}]}

Endpoints, under the issuer's path: /.well-known/openid-configuration,
/jwks.json, /token, /device_authorization, and /device (the page where a
person enters a code and approves or denies it).

Exit status: 0 after Ctrl-C, 2 usage error, 3 cannot listen.`,
		Example: `  jwtrace authority serve
  jwtrace authority serve --addr 127.0.0.1:0 --auto-approve alice > authority.url &
  until [ -s authority.url ]; do sleep 1; done; URL=$(head -1 authority.url)
  jwtrace authority serve --client 'orders:s3cret' --user 'bob,name=Bob,email=bob@example.com'
  jwtrace authority serve --issuer https://login.example.com/tenant/v2.0 --ttl 5m --access-token-typ JWT`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ctx = cmd.Context()
			return runAuthorityServe(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.addr, "addr", authority.DefaultAddr, "listen on `HOST:PORT` (port 0 picks a free port)")
	f.BoolVar(&opts.allowRemote, "allow-remote", false, "allow an --addr that is not loopback (this authority has no passwords; add --url with the name clients use)")
	f.StringVar(&opts.issuer, "issuer", "", "the iss of its tokens (default: its URL); the issuer's path prefixes every endpoint")
	f.StringVar(&opts.url, "url", "", "the `URL` clients reach it at, for the endpoints in discovery (default http://ADDR); requests must name its host or a loopback one")
	stateFlag(cmd, &opts.state)
	f.BoolVar(&opts.ephemeral, "ephemeral", false, "keep the keys in memory only (no state directory)")
	f.StringVar(&opts.alg, "alg", "", "sign with `ALG`: RS256, ES256 or EdDSA (default: the newest key's, RS256 for a new state)")
	f.DurationVar(&opts.ttl, "ttl", authority.DefaultTTL, "lifetime of access and ID tokens")
	f.StringVar(&opts.typ, "access-token-typ", authority.DefaultAccessTokenTyp, "typ header of access tokens (at+jwt, or JWT for older verifiers)")
	f.StringVar(&opts.scopeClaim, "scope-claim", "scope", "claim carrying the granted scopes: scope or scp")
	f.StringArrayVar(&opts.audience, "audience", nil, "default `AUD` of tokens when the client has none and the request names none (repeatable; default api://default)")
	f.StringArrayVar(&opts.clients, "client", nil, "a client `ID[:SECRET]` (repeatable; without a secret it is public; replaces the default clients)")
	f.StringArrayVar(&opts.users, "user", nil, "a user `SUB[,CLAIM=VALUE...]` (repeatable; replaces the default user alice)")
	f.StringVar(&opts.configFile, "config", "", "read clients and users from a JSON `FILE`")
	f.StringVar(&opts.autoApprove, "auto-approve", "", "approve every device code at once as `USER` (for scripts and tests)")
	f.DurationVar(&opts.deviceTTL, "device-code-ttl", authority.DefaultDeviceCodeTTL, "lifetime of device codes")
	f.DurationVar(&opts.interval, "poll-interval", authority.DefaultPollInterval, "device flow polling interval (whole seconds, at least 1s)")
	f.BoolVar(&opts.quiet, "quiet", false, "no start-up summary and no request log on stderr")
	f.BoolVar(&opts.json, "json", false, "print the URL and endpoints as one JSON object instead of the URL")
	_ = cmd.MarkFlagFilename("config", "json")
	return cmd
}

func (opts *authorityServeOptions) config() (authority.Config, error) {
	s := opts.streams
	cfg := authority.Config{
		Issuer:         opts.issuer,
		URL:            opts.url,
		Alg:            opts.alg,
		TTL:            opts.ttl,
		AccessTokenTyp: opts.typ,
		ScopeClaim:     opts.scopeClaim,
		Audience:       opts.audience,
		AutoApprove:    opts.autoApprove,
		DeviceCodeTTL:  opts.deviceTTL,
		PollInterval:   opts.interval,
		Now:            opts.now,
	}
	if !opts.quiet {
		cfg.Log = ui.SafeLineWriter(s.ErrOut)
	}
	for name, d := range map[string]time.Duration{"--ttl": opts.ttl, "--device-code-ttl": opts.deviceTTL, "--poll-interval": opts.interval} {
		if d <= 0 {
			return cfg, &usageError{fmt.Errorf("%s must be positive, got %s", name, d)}
		}
	}
	if opts.ephemeral && opts.state != "" {
		return cfg, &usageError{errors.New("--ephemeral and --state exclude each other")}
	}
	if !opts.ephemeral {
		dir, err := stateDir(s, opts.state)
		if err != nil {
			return cfg, err
		}
		cfg.StateDir = dir
	}
	if opts.configFile != "" {
		file, err := authority.ReadFile(opts.configFile)
		if err != nil {
			return cfg, &usageError{fmt.Errorf("--config: %w", err)}
		}
		cfg.Clients, cfg.Users = file.Clients, file.Users
	}
	for _, c := range opts.clients {
		id, secret, _ := strings.Cut(c, ":")
		if id == "" {
			return cfg, &usageError{fmt.Errorf("--client %q: give ID or ID:SECRET", c)}
		}
		cfg.Clients = append(cfg.Clients, authority.Client{ID: id, Secret: secret})
	}
	for _, u := range opts.users {
		parts := strings.Split(u, ",")
		user := authority.User{Subject: parts[0], Claims: map[string]any{}}
		if user.Subject == "" {
			return cfg, &usageError{fmt.Errorf("--user %q: give SUB[,CLAIM=VALUE...]", u)}
		}
		for _, p := range parts[1:] {
			a, err := authority.ParseAssignment(p)
			if err != nil || a.Remove {
				return cfg, &usageError{fmt.Errorf("--user %q: %q is not CLAIM=VALUE or CLAIM:=JSON", u, p)}
			}
			user.Claims[a.Name] = a.Value
		}
		cfg.Users = append(cfg.Users, user)
	}
	return cfg, nil
}

func runAuthorityServe(opts *authorityServeOptions) error {
	s := opts.streams
	if !opts.allowRemote && !authority.IsLoopback(opts.addr) {
		return &usageError{fmt.Errorf("--addr %s is not a loopback address; this test authority has no passwords and can auto-approve, so it listens on 127.0.0.1 unless you add --allow-remote", opts.addr)}
	}
	cfg, err := opts.config()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.addr)
	if err != nil {
		return &unavailableError{fmt.Errorf("cannot listen on %s: %w; pick another --addr, or 127.0.0.1:0 for any free port", opts.addr, err)}
	}
	if cfg.URL == "" {
		cfg.URL = authority.ListenerURL(ln.Addr())
	}
	a, err := authority.New(cfg)
	if err != nil {
		ln.Close()
		return &usageError{err}
	}
	if opts.json {
		if err := ui.WriteJSON(s.Out, serveSummary(a, cfg.StateDir), false); err != nil {
			ln.Close()
			return err
		}
	} else {
		fmt.Fprintln(s.Out, a.Base())
	}
	if !opts.quiet {
		s.Printer(s.ErrOut).AuthoritySummary(a, cfg.StateDir)
	}
	ctx := opts.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if err := a.Serve(ctx, ln); err != nil {
		return &unavailableError{fmt.Errorf("the authority stopped: %w", err)}
	}
	if !opts.quiet {
		fmt.Fprintln(s.ErrOut, "jwtrace authority: stopped")
	}
	return nil
}

// serveJSON is authority serve --json's one line.
type serveJSON struct {
	URL                         string       `json:"url"`
	Issuer                      string       `json:"issuer"`
	DiscoveryURL                string       `json:"discovery_url"`
	JWKSURI                     string       `json:"jwks_uri"`
	TokenEndpoint               string       `json:"token_endpoint"`
	DeviceAuthorizationEndpoint string       `json:"device_authorization_endpoint"`
	VerificationURI             string       `json:"verification_uri"`
	StateDir                    string       `json:"state_dir"`
	Keys                        []keyJSON    `json:"keys"`
	Clients                     []clientJSON `json:"clients"`
	Users                       []string     `json:"users"`
	Audience                    []string     `json:"audience"`
	AutoApprove                 string       `json:"auto_approve,omitempty"`
}

type keyJSON struct {
	KID     string `json:"kid"`
	Alg     string `json:"alg"`
	Created string `json:"created,omitempty"`
	Signing bool   `json:"signing"`
}

type clientJSON struct {
	ClientID   string   `json:"client_id"`
	Public     bool     `json:"public"`
	GrantTypes []string `json:"grant_types"`
	Audience   []string `json:"audience,omitempty"`
}

func keysJSON(keys []authority.KeyInfo) []keyJSON {
	out := []keyJSON{}
	for _, k := range keys {
		j := keyJSON{KID: k.KID, Alg: k.Alg, Signing: k.Signing}
		if !k.Created.IsZero() {
			j.Created = k.Created.UTC().Format(time.RFC3339)
		}
		out = append(out, j)
	}
	return out
}

func serveSummary(a *authority.Authority, state string) serveJSON {
	d := a.Discovery()
	out := serveJSON{
		URL: a.Base(), Issuer: a.Issuer(), DiscoveryURL: a.DiscoveryURL(), JWKSURI: d.JWKSURI,
		TokenEndpoint: d.TokenEndpoint, DeviceAuthorizationEndpoint: d.DeviceAuthorizationEndpoint,
		VerificationURI: a.Base() + authority.PathDevice, StateDir: state,
		Keys: keysJSON(a.Keys()), Audience: a.Config().Audience, AutoApprove: a.Config().AutoApprove,
		Clients: []clientJSON{}, Users: []string{},
	}
	for _, c := range a.Clients() {
		out.Clients = append(out.Clients, clientJSON{ClientID: c.ID, Public: c.Public(), GrantTypes: ui.AuthorityGrants(c), Audience: c.Audience})
	}
	for _, u := range a.Users() {
		out.Users = append(out.Users, u.Subject)
	}
	return out
}

type authorityRotateOptions struct {
	streams *ui.Streams
	now     func() time.Time
	state   string
	alg     string
	json    bool
}

func newAuthorityRotateCmd(s *ui.Streams, now func() time.Time) *cobra.Command {
	opts := &authorityRotateOptions{streams: s, now: now}
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Add a new signing key; the old keys stay published",
		Long: `Rotate adds a new key to the state directory. The new key signs from now
on (a running authority on the same directory picks it up with its next
request); the old keys stay in the JWKS, so tokens they signed still verify.
It prints the new key's kid on stdout.`,
		Example: `  jwtrace authority rotate
  jwtrace authority rotate --alg ES256 --state ./authority-state`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runAuthorityRotate(opts) },
	}
	stateFlag(cmd, &opts.state)
	cmd.Flags().StringVar(&opts.alg, "alg", "", "algorithm of the new key: RS256, ES256 or EdDSA (default: the newest key's, RS256 for a new state)")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print the new key and the key list as JSON")
	return cmd
}

func runAuthorityRotate(opts *authorityRotateOptions) error {
	s := opts.streams
	if opts.alg != "" && !slices.Contains(authority.Algs, opts.alg) {
		return &usageError{fmt.Errorf("--alg %q: use one of %s", opts.alg, strings.Join(authority.Algs, ", "))}
	}
	dir, err := stateDir(s, opts.state)
	if err != nil {
		return err
	}
	info, err := authority.Rotate(dir, opts.alg, opts.now())
	if err != nil {
		return err
	}
	keys, err := authority.Keys(dir)
	if err != nil {
		return err
	}
	if opts.json {
		return ui.WriteJSON(s.Out, struct {
			Key      keyJSON   `json:"key"`
			Keys     []keyJSON `json:"keys"`
			StateDir string    `json:"state_dir"`
		}{keysJSON([]authority.KeyInfo{info})[0], keysJSON(keys), dir}, s.StdoutIsTerminal())
	}
	fmt.Fprintln(s.Out, info.KID)
	fmt.Fprintf(s.ErrOut, "new %s key %s signs from now on; %d keys published (in %s)\n", info.Alg, info.KID, len(keys), ui.Safe(dir))
	return nil
}

type authorityKeysOptions struct {
	streams *ui.Streams
	state   string
	jwks    bool
	json    bool
}

func newAuthorityKeysCmd(s *ui.Streams) *cobra.Command {
	opts := &authorityKeysOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "List the authority's keys, or print its public JWKS",
		Long: `Keys lists the keys in the state directory, oldest first, marking the
one that signs. --jwks prints the public JWKS the authority publishes, for
verifying tokens offline (jwtrace verify --key jwks.json).`,
		Example: `  jwtrace authority keys
  jwtrace authority keys --jwks > jwks.json`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runAuthorityKeys(opts) },
	}
	stateFlag(cmd, &opts.state)
	cmd.Flags().BoolVar(&opts.jwks, "jwks", false, "print the public JWKS")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print the key list as JSON")
	return cmd
}

func runAuthorityKeys(opts *authorityKeysOptions) error {
	s := opts.streams
	dir, err := stateDir(s, opts.state)
	if err != nil {
		return err
	}
	if opts.jwks {
		set, err := authority.PublicJWKS(dir)
		if err != nil {
			return err
		}
		return ui.WriteJSON(s.Out, set, true)
	}
	keys, err := authority.Keys(dir)
	if err != nil {
		return err
	}
	if opts.json {
		return ui.WriteJSON(s.Out, struct {
			Keys     []keyJSON `json:"keys"`
			StateDir string    `json:"state_dir"`
		}{keysJSON(keys), dir}, s.StdoutIsTerminal())
	}
	if len(keys) == 0 {
		fmt.Fprintf(s.ErrOut, "no keys in %s yet: jwtrace authority serve, rotate or mint make one\n", ui.Safe(dir))
		return nil
	}
	for _, k := range keys {
		mark := ""
		if k.Signing {
			mark = "  signs"
		}
		fmt.Fprintf(s.Out, "%s  %-5s  %s%s\n", k.KID, k.Alg, k.Created.UTC().Format(time.RFC3339), mark)
	}
	return nil
}
