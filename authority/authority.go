// Package authority is a small OpenID Connect authority for local work and
// tests: discovery, a JWKS, a token endpoint (client credentials, device
// code, refresh token, authorization code, token exchange (RFC 8693) and
// Azure AD's on-behalf-of), a device authorization endpoint (RFC 8628) with an
// HTML approval page, and minting of arbitrary tokens with the same keys.
//
// It is a test authority: it has no passwords (a person approving a device
// code picks the user to sign in as) and can approve every request by
// itself (Config.AutoApprove). Never expose it to a network you do not
// control.
//
// The package knows nothing about terminals or command lines; jwtrace's
// "authority" and "mint" commands are thin adapters around it, and
// authority/authoritytest starts one for a test in one call.
package authority

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Defaults of Config.
const (
	DefaultTTL            = time.Hour
	DefaultRefreshTTL     = 24 * time.Hour
	DefaultDeviceCodeTTL  = 10 * time.Minute
	DefaultPollInterval   = 5 * time.Second
	DefaultAccessTokenTyp = "at+jwt"
	DefaultAudience       = "api://default"
	DefaultAddr           = "127.0.0.1:9400"
)

// Grant types.
const (
	GrantClientCredentials = "client_credentials"
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
	GrantRefreshToken      = "refresh_token"
	GrantAuthorizationCode = "authorization_code"
	// GrantTokenExchange is OAuth 2.0 Token Exchange (RFC 8693 §2.1).
	GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	// GrantJWTBearer is the JWT bearer grant (RFC 7523 §2.1); this
	// authority serves it for Azure AD's on-behalf-of flow only
	// (requested_token_use=on_behalf_of).
	GrantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// Config configures an Authority. The zero value works: keys in memory,
// RS256, the default clients and user.
type Config struct {
	// Issuer is the iss of every token and the issuer in discovery.
	// Default: URL. Its path (e.g. /tenant/v2.0) prefixes every endpoint.
	Issuer string
	// URL is where clients reach the server, for the endpoint URLs in
	// discovery. Default: the listener's address given to Serve (127.0.0.1
	// for an unspecified address).
	URL string
	// StateDir keeps the keys (KeysFile) across restarts; "" keeps them in
	// memory only.
	StateDir string
	// Alg is the signing algorithm (RS256, ES256 or EdDSA). Default: the
	// newest key's algorithm in StateDir, else RS256. When StateDir has no
	// key of Alg, one is added.
	Alg string
	// TTL is the lifetime of access and ID tokens. Default 1h.
	TTL time.Duration
	// RefreshTTL is the lifetime of refresh tokens. Default 24h. At most
	// 10,000 refresh tokens are kept: issuing one more forgets the oldest,
	// which then answers invalid_grant.
	RefreshTTL time.Duration
	// AccessTokenTyp is the typ header of access tokens. Default at+jwt
	// (RFC 9068); "JWT" for older verifiers.
	AccessTokenTyp string
	// ScopeClaim names the claim that carries the granted scopes as a
	// space-separated string: "scope" (default, RFC 9068) or "scp".
	ScopeClaim string
	// Audience is the aud of tokens for clients without their own and
	// requests without an audience or resource parameter. Default
	// [DefaultAudience].
	Audience []string
	// Clients may use the authority. Default: DefaultClients().
	Clients []Client
	// Users can be signed in with the device flow. Default: DefaultUsers().
	Users []User
	// AutoApprove, when it names a user, approves every device
	// authorization as that user at once.
	AutoApprove string
	// DeviceCodeTTL is how long a device code can be used. Default 10m.
	// At most 10,000 unexpired device codes are kept; beyond that the
	// device authorization endpoint answers 503 temporarily_unavailable.
	DeviceCodeTTL time.Duration
	// PollInterval is the device flow's polling interval. Default 5s; it
	// is given to clients in whole seconds, at least 1.
	PollInterval time.Duration
	// CodeTTL is how long an authorization code can be redeemed. Default
	// DefaultCodeTTL.
	CodeTTL time.Duration
	// Log receives one line per request; nil logs nothing.
	Log io.Writer
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Rand is the source of codes, refresh tokens and jti values. Default
	// crypto/rand. (Keys are always made with crypto/rand.)
	Rand io.Reader
}

// Client is an OAuth client. A client without a secret is public: it can
// use the device flow and refresh tokens only.
type Client struct {
	ID     string `json:"client_id"`
	Secret string `json:"client_secret,omitempty"`
	// Audience is the aud of its tokens when the request names none.
	Audience []string `json:"audience,omitempty"`
	// Scopes, when set, are the scopes it may ask for (openid, profile,
	// email and offline_access are always allowed).
	Scopes []string `json:"scopes,omitempty"`
	// GrantTypes it may use. Default: public clients the device code and
	// refresh token grants; confidential clients those, client
	// credentials, token exchange and on-behalf-of (GrantTokenExchange,
	// GrantJWTBearer).
	GrantTypes []string `json:"grant_types,omitempty"`
	// ExchangeAudiences, when set, are the audiences (audience or
	// resource values, or the API of an on-behalf-of scope) it may ask
	// for in a token exchange or on-behalf-of; others are invalid_target.
	// Default: any.
	ExchangeAudiences []string `json:"exchange_audiences,omitempty"`
	// RedirectURIs are where the authorization endpoint may send it back.
	// Loopback IP URIs match with any port (RFC 8252 §7.3); none
	// registered allows any loopback http URI and nothing else.
	RedirectURIs []string `json:"redirect_uris,omitempty"`
	// JWKS holds the public keys of a private_key_jwt client (RFC 7523
	// §2.2): its client assertions must verify with one of them.
	JWKS json.RawMessage `json:"jwks,omitempty"`
	// Claims are added to the tokens it gets with client credentials,
	// except the claims the authority sets itself (iss, sub, aud, exp, nbf,
	// iat, jti, client_id, scope, scp, auth_time), which are ignored.
	Claims map[string]any `json:"claims,omitempty"`
}

// Public reports whether c has no credential: no secret and no JWKS.
func (c *Client) Public() bool { return c.Secret == "" && len(c.JWKS) == 0 }

func (c *Client) allows(grant string) bool {
	if len(c.GrantTypes) > 0 {
		return slices.Contains(c.GrantTypes, grant)
	}
	if grant == GrantClientCredentials || grant == GrantTokenExchange || grant == GrantJWTBearer {
		return !c.Public()
	}
	return grant == GrantDeviceCode || grant == GrantRefreshToken || grant == GrantAuthorizationCode
}

// confidentialGrants may only be used by a client with a credential.
var confidentialGrants = []string{GrantClientCredentials, GrantTokenExchange, GrantJWTBearer}

// Grants are the grant types c may use: GrantTypes, or the defaults (see
// Client.GrantTypes).
func (c *Client) Grants() []string {
	var out []string
	for _, g := range []string{GrantAuthorizationCode, GrantClientCredentials, GrantDeviceCode, GrantRefreshToken, GrantTokenExchange, GrantJWTBearer} {
		if c.allows(g) {
			out = append(out, g)
		}
	}
	return out
}

// User is a person who can approve a device code. Subject is both the
// name they pick on the approval page and the sub of their tokens.
type User struct {
	Subject string `json:"sub"`
	// Claims go into their access and ID tokens: name, email, ... The
	// claims the authority sets itself (iss, sub, aud, exp, nbf, iat, jti,
	// client_id, scope, scp, auth_time) are ignored.
	Claims map[string]any `json:"claims,omitempty"`
}

// The default clients' ids and the default confidential client's secret.
// The secret is public on purpose: this is a test authority.
const (
	DefaultPublicClient  = "jwtrace"
	DefaultServiceClient = "jwtrace-service"
	DefaultServiceSecret = "jwtrace-service-secret"
	DefaultUser          = "alice"
)

// DefaultClients are the clients of an authority configured with none: a
// public client "jwtrace" for the device flow, and a confidential client
// "jwtrace-service" (secret "jwtrace-service-secret") for client
// credentials.
func DefaultClients() []Client {
	return []Client{
		{ID: DefaultPublicClient},
		{ID: DefaultServiceClient, Secret: DefaultServiceSecret},
	}
}

// DefaultUsers is the user of an authority configured with none: alice.
func DefaultUsers() []User {
	return []User{{Subject: DefaultUser, Claims: map[string]any{
		"name": "Alice Example", "email": "alice@example.com", "email_verified": true,
	}}}
}

// File is the JSON configuration file: clients and users.
//
//	{"clients": [{"client_id": "orders", "client_secret": "s3cret", "audience": ["api://orders"],
//	              "exchange_audiences": ["api://billing"]}],
//	 "users": [{"sub": "bob", "claims": {"name": "Bob", "email": "bob@example.com"}}]}
type File struct {
	Clients []Client `json:"clients"`
	Users   []User   `json:"users"`
}

// Authority is a running (or ready to run) OIDC authority. Its methods are
// safe for concurrent use.
type Authority struct {
	cfg     Config
	prefix  string // the issuer's path, without a trailing slash
	clients map[string]*Client
	users   []*User

	mu        sync.Mutex
	url       string // base URL, once known
	state     *keyState
	devices   map[string]*deviceGrant // by device code
	userCodes map[string]string       // normalized user code → device code
	refresh   map[string]*refreshGrant
	codes     map[string]*authCode
	// revoked holds the jti of revoked access tokens until they expire.
	revoked map[string]time.Time
	// assertions holds the jti of client assertions seen, until they
	// expire, to refuse a replay (RFC 7523 §3 item 7).
	assertions map[string]time.Time
	clientKeys map[string]jwk.Set
	csrfKey    []byte

	// Wrong user codes typed on the device page, by address and overall
	// (see MaxWrongUserCodes).
	guesses    map[string]*guessWindow
	allGuesses guessWindow

	// maxDevices bounds the unexpired device codes, maxRefresh the
	// refresh grants (maxPending; tests lower them).
	maxDevices, maxRefresh int
	refreshSeq             uint64 // order of the refresh grants, to forget the oldest
}

// New checks cfg, fills in its defaults, and loads (or makes) the keys.
func New(cfg Config) (*Authority, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.RefreshTTL == 0 {
		cfg.RefreshTTL = DefaultRefreshTTL
	}
	if cfg.DeviceCodeTTL == 0 {
		cfg.DeviceCodeTTL = DefaultDeviceCodeTTL
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.CodeTTL == 0 {
		cfg.CodeTTL = DefaultCodeTTL
	}
	if cfg.AccessTokenTyp == "" {
		cfg.AccessTokenTyp = DefaultAccessTokenTyp
	}
	if cfg.ScopeClaim == "" {
		cfg.ScopeClaim = "scope"
	}
	if len(cfg.Audience) == 0 {
		cfg.Audience = []string{DefaultAudience}
	}
	if len(cfg.Clients) == 0 {
		cfg.Clients = DefaultClients()
	}
	if len(cfg.Users) == 0 {
		cfg.Users = DefaultUsers()
	}
	switch {
	case cfg.TTL < 0 || cfg.RefreshTTL < 0 || cfg.DeviceCodeTTL < 0 || cfg.PollInterval < 0 || cfg.CodeTTL < 0:
		return nil, errors.New("lifetimes and the poll interval must be positive")
	case cfg.ScopeClaim != "scope" && cfg.ScopeClaim != "scp":
		return nil, fmt.Errorf("scope claim %q: use scope or scp", cfg.ScopeClaim)
	case cfg.Alg != "" && !slices.Contains(Algs, cfg.Alg):
		return nil, fmt.Errorf("unsupported algorithm %q: use one of %s", cfg.Alg, strings.Join(Algs, ", "))
	}
	a := &Authority{
		cfg:        cfg,
		clients:    map[string]*Client{},
		devices:    map[string]*deviceGrant{},
		userCodes:  map[string]string{},
		refresh:    map[string]*refreshGrant{},
		codes:      map[string]*authCode{},
		revoked:    map[string]time.Time{},
		assertions: map[string]time.Time{},
		clientKeys: map[string]jwk.Set{},
		csrfKey:    make([]byte, 32),
		guesses:    map[string]*guessWindow{},

		maxDevices: maxPending,
		maxRefresh: maxPending,
	}
	if _, err := io.ReadFull(rand.Reader, a.csrfKey); err != nil {
		return nil, err
	}
	for _, u := range []string{cfg.Issuer, cfg.URL} {
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.RawQuery != "" || p.Fragment != "" {
			return nil, fmt.Errorf("%q is not an http(s) URL without query or fragment", u)
		}
	}
	if cfg.Issuer != "" {
		p, _ := url.Parse(cfg.Issuer)
		a.prefix = strings.TrimSuffix(p.EscapedPath(), "/")
	}
	a.url = strings.TrimSuffix(cfg.URL, "/")
	for i := range cfg.Clients {
		c := &cfg.Clients[i]
		if c.ID == "" {
			return nil, fmt.Errorf("client %d has no client_id", i+1)
		}
		if a.clients[c.ID] != nil {
			return nil, fmt.Errorf("client %q is configured twice", c.ID)
		}
		for _, g := range c.GrantTypes {
			if g != GrantClientCredentials && g != GrantDeviceCode && g != GrantRefreshToken && g != GrantAuthorizationCode && g != GrantTokenExchange && g != GrantJWTBearer {
				return nil, fmt.Errorf("client %q: unsupported grant type %q", c.ID, g)
			}
			if c.Public() && slices.Contains(confidentialGrants, g) {
				return nil, fmt.Errorf("client %q: a public client cannot use %s; give it a secret", c.ID, g)
			}
		}
		for _, aud := range c.ExchangeAudiences {
			if aud == "" || len(aud) > 1000 {
				return nil, fmt.Errorf("client %q: an exchange audience must be 1 to 1000 characters", c.ID)
			}
		}
		for _, r := range c.RedirectURIs {
			if u, err := url.Parse(r); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
				return nil, fmt.Errorf("client %q: redirect URI %q is not an http(s) URL without fragment", c.ID, r)
			}
		}
		if len(c.JWKS) > 0 {
			set, err := jwk.Parse(c.JWKS)
			if err != nil || set.Len() == 0 {
				return nil, fmt.Errorf("client %q: jwks is not a JWK set with keys", c.ID)
			}
			for i := 0; i < set.Len(); i++ {
				k, _ := set.Key(i)
				if priv, _ := jwk.IsPrivateKey(k); priv {
					return nil, fmt.Errorf("client %q: jwks holds a private key; register the public keys only", c.ID)
				}
			}
			a.clientKeys[c.ID] = set
		}
		a.clients[c.ID] = c
	}
	for i := range cfg.Users {
		u := &cfg.Users[i]
		if u.Subject == "" {
			return nil, fmt.Errorf("user %d has no sub", i+1)
		}
		if a.user(u.Subject) != nil {
			return nil, fmt.Errorf("user %q is configured twice", u.Subject)
		}
		a.users = append(a.users, u)
	}
	if cfg.AutoApprove != "" && a.user(cfg.AutoApprove) == nil {
		return nil, fmt.Errorf("auto-approve: no user %q (users: %s)", cfg.AutoApprove, strings.Join(a.userNames(), ", "))
	}
	if err := a.loadKeys(); err != nil {
		return nil, err
	}
	return a, nil
}

// ReadFile reads a JSON configuration file (see File). Unknown fields are
// errors, so a typo does not go unnoticed.
func ReadFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d := jsonDecoder(io.LimitReader(f, 1<<20))
	d.DisallowUnknownFields()
	var file File
	if err := d.Decode(&file); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &file, nil
}

// DefaultStateDir is where jwtrace keeps the authority's keys unless told
// otherwise: the user config directory's jwtrace/authority (userConfigDir
// is os.UserConfigDir, or what finds it in a command's own environment).
func DefaultStateDir(userConfigDir func() (string, error)) (string, error) {
	dir, err := userConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "jwtrace", "authority"), nil
}

func (a *Authority) user(sub string) *User {
	for _, u := range a.users {
		if u.Subject == sub {
			return u
		}
	}
	return nil
}

func (a *Authority) userNames() []string {
	var names []string
	for _, u := range a.users {
		names = append(names, u.Subject)
	}
	return names
}

// Clients returns the configured clients (with defaults applied).
func (a *Authority) Clients() []Client { return slices.Clone(a.cfg.Clients) }

// Users returns the configured users (with defaults applied).
func (a *Authority) Users() []User { return slices.Clone(a.cfg.Users) }

// Config returns the configuration with its defaults filled in.
func (a *Authority) Config() Config { return a.cfg }

// loadKeys reads the state directory (or makes an in-memory key) and adds
// a key of cfg.Alg when there is none.
func (a *Authority) loadKeys() error {
	st := &keyState{}
	if a.cfg.StateDir != "" {
		var err error
		if st, err = readKeys(a.cfg.StateDir); err != nil {
			return err
		}
	}
	if signingKey(st.keys, a.cfg.Alg) == nil {
		alg := a.cfg.Alg
		if alg == "" {
			alg = DefaultAlg
		}
		k, err := GenerateKey(alg, a.cfg.Now())
		if err != nil {
			return err
		}
		st.keys = append(st.keys, k)
		if a.cfg.StateDir != "" {
			if err := writeKeys(a.cfg.StateDir, st.keys); err != nil {
				return err
			}
			if st, err = readKeys(a.cfg.StateDir); err != nil {
				return err
			}
		}
	}
	a.mu.Lock()
	a.state = st
	a.mu.Unlock()
	return nil
}

// keys returns the current keys, rereading the state file when another
// process (jwtrace authority rotate) changed it.
func (a *Authority) keys() []*Key {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cfg.StateDir != "" {
		fi, err := os.Stat(filepath.Join(a.cfg.StateDir, KeysFile))
		if err == nil && (!fi.ModTime().Equal(a.state.mod) || fi.Size() != a.state.size) {
			if st, err := readKeys(a.cfg.StateDir); err == nil && len(st.keys) > 0 {
				a.state = st
			}
		}
	}
	return a.state.keys
}

// SigningKey is the key that signs now: the newest key of Config.Alg (or
// the newest key).
func (a *Authority) SigningKey() *Key { return signingKey(a.keys(), a.cfg.Alg) }

// Keys describes every key, oldest first.
func (a *Authority) Keys() []KeyInfo {
	out := infos(a.keys())
	kid := a.SigningKey().KID
	for i := range out {
		out[i].Signing = out[i].KID == kid
	}
	return out
}

// JWKS is the public key set the authority publishes.
func (a *Authority) JWKS() (jwk.Set, error) { return publicSet(a.keys()) }

// Rotate adds a new key of alg ("" for the signing key's algorithm) that
// signs from now on; the old keys stay published. With a state directory
// the new key is saved there.
func (a *Authority) Rotate(alg string) (KeyInfo, error) {
	if alg == "" {
		alg = a.SigningKey().Alg
	}
	if a.cfg.Alg != "" && alg != a.cfg.Alg {
		return KeyInfo{}, fmt.Errorf("this authority signs with %s; cannot rotate to %s", a.cfg.Alg, alg)
	}
	if a.cfg.StateDir != "" {
		info, err := Rotate(a.cfg.StateDir, alg, a.cfg.Now())
		if err != nil {
			return KeyInfo{}, err
		}
		a.keys() // reread
		return info, nil
	}
	k, err := GenerateKey(alg, a.cfg.Now())
	if err != nil {
		return KeyInfo{}, err
	}
	a.mu.Lock()
	a.state.keys = append(slices.Clone(a.state.keys), k)
	a.mu.Unlock()
	return KeyInfo{KID: k.KID, Alg: k.Alg, Created: k.Created, Signing: true}, nil
}

// URL is the base URL of the endpoints ("" before Serve, unless
// Config.URL was set).
func (a *Authority) URL() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.url
}

// Issuer is the iss of the tokens ("" before Serve when neither
// Config.Issuer nor Config.URL was set).
func (a *Authority) Issuer() string {
	if a.cfg.Issuer != "" {
		return a.cfg.Issuer
	}
	return a.URL()
}

// Base is the URL the endpoints live under: URL plus the issuer's path
// (with the default issuer, the issuer itself). Discovery is at Base +
// PathDiscovery.
func (a *Authority) Base() string { return a.URL() + a.prefix }

// DiscoveryURL is where the discovery document is served.
func (a *Authority) DiscoveryURL() string {
	return a.URL() + a.prefix + "/.well-known/openid-configuration"
}

// Serve serves HTTP on ln until ctx ends, then shuts down gracefully
// (waiting up to 5 seconds for requests in flight) and returns nil. When
// neither Config.URL nor an earlier Serve set the URL, it becomes
// http://ADDR of ln (127.0.0.1 for an unspecified address).
func (a *Authority) Serve(ctx context.Context, ln net.Listener) error {
	a.mu.Lock()
	if a.url == "" {
		a.url = ListenerURL(ln.Addr())
	}
	a.mu.Unlock()
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    32 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

// ListenerURL is http://HOST:PORT for a listener's address, with
// 127.0.0.1 (or [::1]) for an unspecified address.
func ListenerURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String()
	}
	ip := tcp.IP
	if ip == nil || ip.IsUnspecified() {
		if ip != nil && ip.To4() == nil {
			ip = net.IPv6loopback
		} else {
			ip = net.IPv4(127, 0, 0, 1)
		}
	}
	return "http://" + net.JoinHostPort(ip.String(), fmt.Sprint(tcp.Port))
}

// IsLoopback reports whether a listen address (host:port) is a loopback
// address or localhost; jwtrace refuses anything else without
// --allow-remote.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Mint signs a token with the authority's signing key. The claims start
// from iss (the issuer), iat (now), exp (now + TTL) and a random jti; the
// header from alg, kid and typ (Config.AccessTokenTyp). Entries of claims
// and header override those, and a nil value removes one.
func (a *Authority) Mint(claims, header map[string]any) (string, error) {
	iss := a.Issuer()
	if iss == "" {
		return "", errors.New("the authority has no issuer yet: set Config.Issuer or Config.URL, or call Serve first")
	}
	now := a.cfg.Now()
	jti, err := a.random(16)
	if err != nil {
		return "", err
	}
	c := map[string]any{"iss": iss, "iat": now.Unix(), "exp": now.Add(a.cfg.TTL).Unix(), "jti": jti}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	h := map[string]any{"typ": a.cfg.AccessTokenTyp}
	for k, v := range header {
		h[k] = v
	}
	return Sign(a.SigningKey(), h, c)
}
