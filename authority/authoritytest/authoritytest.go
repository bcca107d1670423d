// Package authoritytest starts a jwtrace authority for a test: a real HTTP
// server on 127.0.0.1 with an ephemeral port, keys in memory, stopped when
// the test ends.
//
//	srv := authoritytest.Start(t)
//	tok := srv.Mint(t, map[string]any{"sub": "alice", "aud": "api://orders"})
//	// verify tok against srv.Issuer (discovery) or srv.JWKSURL
//
// Options change the configuration (WithConfig) or put the authority on a
// clock the test moves (WithClock).
package authoritytest

import (
	"context"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/jwtrace/jwtrace/authority"
)

// Server is a running authority.
type Server struct {
	// Authority is the authority itself, for Rotate, Keys, Mint with a
	// header, and so on.
	*authority.Authority
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL string
	// Issuer is the iss of its tokens (URL unless WithConfig set one).
	Issuer string
	// DiscoveryURL and JWKSURL are where discovery and the JWKS are served.
	DiscoveryURL, JWKSURL string
	// TokenURL and DeviceAuthURL are the OAuth endpoints.
	TokenURL, DeviceAuthURL string
	// AuthorizeURL, IntrospectURL, UserinfoURL and RevokeURL are the
	// authorization, introspection (RFC 7662), userinfo and revocation
	// (RFC 7009) endpoints.
	AuthorizeURL, IntrospectURL, UserinfoURL, RevokeURL string
}

// Option changes how Start configures the authority.
type Option func(*authority.Config)

// WithConfig lets f change the configuration before the authority starts.
// Start's defaults: keys in memory, RS256, a poll interval of 1s, the
// request log to t.Log, the default clients and users.
func WithConfig(f func(*authority.Config)) Option { return Option(f) }

// WithClock makes c the authority's clock.
func WithClock(c *Clock) Option {
	return func(cfg *authority.Config) { cfg.Now = c.Now }
}

// WithAlg makes the authority sign with alg (RS256, ES256 or EdDSA).
func WithAlg(alg string) Option { return func(cfg *authority.Config) { cfg.Alg = alg } }

// WithAutoApprove approves every device authorization as user.
func WithAutoApprove(user string) Option {
	return func(cfg *authority.Config) { cfg.AutoApprove = user }
}

// Start starts an authority on 127.0.0.1:0 and stops it with t.Cleanup.
// It fails the test if the authority cannot start.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := authority.Config{
		PollInterval: time.Second,
		Log:          &testLog{t: t},
	}
	for _, o := range opts {
		o(&cfg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("authoritytest: %v", err)
	}
	if cfg.URL == "" {
		cfg.URL = "http://" + ln.Addr().String()
	}
	a, err := authority.New(cfg)
	if err != nil {
		ln.Close()
		t.Fatalf("authoritytest: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("authoritytest: shutdown: %v", err)
		}
	})
	d := a.Discovery()
	return &Server{
		Authority:     a,
		URL:           a.URL(),
		Issuer:        a.Issuer(),
		DiscoveryURL:  a.DiscoveryURL(),
		JWKSURL:       d.JWKSURI,
		TokenURL:      d.TokenEndpoint,
		DeviceAuthURL: d.DeviceAuthorizationEndpoint,
		AuthorizeURL:  d.AuthorizationEndpoint,
		IntrospectURL: d.IntrospectionEndpoint,
		UserinfoURL:   d.UserinfoEndpoint,
		RevokeURL:     d.RevocationEndpoint,
	}
}

// Mint signs a token with the authority's current key. claims are added to
// iss, iat, exp (iat + TTL) and jti; a nil value removes one of those. The
// header is alg, kid and typ at+jwt.
func (s *Server) Mint(t testing.TB, claims map[string]any) string {
	t.Helper()
	return s.MintHeader(t, nil, claims)
}

// MintHeader is Mint with header fields too (a nil value removes one), to
// build tokens with an odd kid, typ or alg on purpose.
func (s *Server) MintHeader(t testing.TB, header, claims map[string]any) string {
	t.Helper()
	tok, err := s.Authority.Mint(claims, header)
	if err != nil {
		t.Fatalf("authoritytest: mint: %v", err)
	}
	return tok
}

// PublicJWKS is the key set the server publishes.
func (s *Server) PublicJWKS(t testing.TB) jwk.Set {
	t.Helper()
	set, err := s.Authority.JWKS()
	if err != nil {
		t.Fatalf("authoritytest: %v", err)
	}
	return set
}

// RotateKey adds a new signing key of the same algorithm and returns its
// kid; the old keys stay published.
func (s *Server) RotateKey(t testing.TB) string {
	t.Helper()
	info, err := s.Authority.Rotate("")
	if err != nil {
		t.Fatalf("authoritytest: rotate: %v", err)
	}
	return info.KID
}

// Clock is a clock a test sets and moves. The zero value is not usable:
// use NewClock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set sets the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// testLog sends the request log to t.Log (one call per line).
type testLog struct {
	mu sync.Mutex
	t  testing.TB
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.t.Log("authority: " + strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Decide plays the person at the authority's device page: it opens
// verificationURL (normally verification_uri_complete, which carries the
// user code), then presses "approve" (as user, e.g. "alice") or "deny".
// It fails the test if the page has no approval form.
func Decide(t testing.TB, verificationURL, action, user string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 5 * time.Second}
	resp, err := hc.Get(verificationURL)
	if err != nil {
		t.Errorf("authoritytest: %v", err)
		return
	}
	page, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	field := func(name string) string {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]+)"`).FindSubmatch(page)
		if m == nil {
			t.Errorf("authoritytest: no %s on the device page:\n%s", name, page)
			return ""
		}
		return html.UnescapeString(string(m[1]))
	}
	action_ := regexp.MustCompile(`<form method="post" action="([^"]+)"`).FindSubmatch(page)
	if action_ == nil {
		t.Errorf("authoritytest: no form on the device page:\n%s", page)
		return
	}
	base, _ := url.Parse(verificationURL)
	target, _ := url.Parse(html.UnescapeString(string(action_[1])))
	resp, err = hc.PostForm(base.ResolveReference(target).String(), url.Values{
		"csrf": {field("csrf")}, "user_code": {field("user_code")}, "action": {action}, "user": {user},
	})
	if err != nil {
		t.Errorf("authoritytest: %v", err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("authoritytest: %s on the device page: status %d", action, resp.StatusCode)
	}
}

// SignIn plays the person at the authority's sign-in page: it opens
// authURL (an authorization request), presses "approve" (as user) or
// "deny", and follows the redirect back to the client, as a browser
// would. It returns the page the client's redirect URI answered with, or
// "" (and fails the test) when the sign-in page has no form.
func SignIn(t testing.TB, authURL, action, user string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := hc.Get(authURL)
	if err != nil {
		t.Errorf("authoritytest: %v", err)
		return ""
	}
	page, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	action_ := regexp.MustCompile(`<form method="post" action="([^"]+)"`).FindSubmatch(page)
	if action_ == nil {
		// Auto-approved: the GET was redirected to the client already.
		if resp.Request.URL.Path != mustURL(authURL).Path {
			return string(page)
		}
		t.Errorf("authoritytest: no form on the sign-in page (status %d):\n%s", resp.StatusCode, page)
		return ""
	}
	form := url.Values{"action": {action}, "user": {user}}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllSubmatch(page, -1) {
		form.Set(html.UnescapeString(string(m[1])), html.UnescapeString(string(m[2])))
	}
	base := mustURL(authURL)
	target, _ := url.Parse(html.UnescapeString(string(action_[1])))
	resp, err = hc.PostForm(base.ResolveReference(target).String(), form)
	if err != nil {
		t.Errorf("authoritytest: %v", err)
		return ""
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return string(out)
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		return &url.URL{}
	}
	return u
}
