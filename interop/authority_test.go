package interop

// The authorities: how to start each one, which clients and audiences it
// has, and how a person approves or denies a device login at its pages.

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Authority is a third-party OpenID Provider running on loopback for one
// test (and its subtests).
type Authority struct {
	// Name is "oidc-provider" or "zitadel".
	Name string
	// Issuer is its issuer URL, http://127.0.0.1:PORT: what --authority
	// takes.
	Issuer string

	// ServiceClient and ServiceSecret are a confidential client for the
	// client credentials grant.
	ServiceClient, ServiceSecret string
	// audiences maps each audience that ServiceClient can get a JWT access
	// token for to the login flags that ask for it.
	audiences map[string][]string

	// person plays the person at the authority's device pages: enters the
	// code, signs in as user, and approves (allow) or denies.
	person func(t *testing.T, p prompt, user string, allow bool)
	// User is the account a person signs in as.
	User string

	server *server
}

// Audiences are the audiences that Token can get an access token for.
func (a *Authority) Audiences() []string {
	var out []string
	for aud := range a.audiences {
		out = append(out, aud)
	}
	return out
}

// Token gets a JWT access token for audience with client credentials, by
// running jwtrace login as u, and returns it. audience must be one of
// Audiences().
func (a *Authority) Token(t *testing.T, u *user, audience string) string {
	t.Helper()
	flags, ok := a.audiences[audience]
	if !ok {
		t.Fatalf("%s cannot issue access tokens for %q (it can for %v)", a.Name, audience, a.Audiences())
	}
	args := append([]string{"login", "--grant", "client-credentials", "--authority", a.Issuer, "--client-id", a.ServiceClient}, flags...)
	r := u.jwtraceEnv([]string{"JWTRACE_CLIENT_SECRET=" + a.ServiceSecret}, args...)
	if r.code != 0 {
		t.Fatalf("getting a token from %s:\n%s", a.Name, r)
	}
	return strings.TrimSpace(r.stdout)
}

// Approve is a person approving the device login shown in p.
func (a *Authority) Approve(t *testing.T, p prompt) {
	t.Helper()
	a.person(t, p, a.User, true)
}

// Deny is a person refusing the device login shown in p.
func (a *Authority) Deny(t *testing.T, p prompt) {
	t.Helper()
	a.person(t, p, a.User, false)
}

// startOIDCProvider starts panva's oidc-provider (op/server.mjs, under
// node) for the test. Its clients: public device clients "device-rs",
// "device-es" and "device-ed" (ID tokens RS256, ES256, EdDSA) and the
// confidential "service" (secret "service-secret") for client credentials.
// Its resource servers (RFC 8707 resource indicators, JWT access tokens):
// https://orders.example (ES256; scopes orders.read orders.write),
// https://billing.example (EdDSA; billing.read), https://ledger.example
// (RS256; ledger.read) and https://short.example (RS256; short.read;
// tokens live 2 seconds). Any login name signs in, with any password.
func startOIDCProvider(t *testing.T) *Authority {
	t.Helper()
	cmd := exec.Command("node", "op/server.mjs")
	cmd.Env = append(cmd.Environ(), "PORT=0", "NODE_ENV=development")
	issuer, srv := startServer(t, "oidc-provider", cmd)
	return &Authority{
		Name:          "oidc-provider",
		Issuer:        issuer,
		ServiceClient: "service",
		ServiceSecret: "service-secret",
		audiences: map[string][]string{
			"https://orders.example":  {"--resource", "https://orders.example", "--scope", "orders.read orders.write"},
			"https://billing.example": {"--resource", "https://billing.example", "--scope", "billing.read"},
			"https://ledger.example":  {"--resource", "https://ledger.example", "--scope", "ledger.read"},
			"https://short.example":   {"--resource", "https://short.example", "--scope", "short.read"},
		},
		person: oidcProviderPerson,
		User:   "alice",
		server: srv,
	}
}

// startZitadel starts the zitadel/oidc v3 example OP (./zitadelop) for the
// test. Its device clients: "device" (secret "secret", HTTP Basic; access
// tokens are JWEs only the OP can read, as in the stock example), and the
// public "cli" (the same JWE access tokens) and "cli-jwt" (JWT access
// tokens); for client credentials, the service user "sid1" (secret
// "verysecret"; JWT access tokens). Access tokens' aud is the client id;
// the request cannot choose it. The person signs in as alice with the
// password verysecure.
func startZitadel(t *testing.T) *Authority {
	t.Helper()
	issuer, srv := startServer(t, "zitadel", exec.Command(zitadelBin, "-addr", "127.0.0.1:0"))
	return &Authority{
		Name:          "zitadel",
		Issuer:        issuer,
		ServiceClient: "sid1",
		ServiceSecret: "verysecret",
		audiences:     map[string][]string{"sid1": nil},
		person:        zitadelPerson,
		User:          "alice",
		server:        srv,
	}
}

// oidcProviderPerson drives oidc-provider's device pages: the code entry
// page, the device confirmation (Continue or Abort), then the dev login page
// (any login and password) and the consent page.
func oidcProviderPerson(t *testing.T, p prompt, account string, allow bool) {
	t.Helper()
	b := newBrowser(t)
	pg := b.get(p.URI)
	f := pg.form(`form[id="op.deviceInputForm"]`)
	f.set("user_code", p.Code)
	pg = b.submit(f)
	// The person checks that the page shows the code from the terminal.
	pg.mustContain(p.Code)
	f = pg.form(`form[id="op.deviceConfirmForm"]`)
	if !allow {
		f.set("abort", "yes") // the [ Abort ] button
		pg = b.submit(f)
		pg.mustContain("The Sign-in request was interrupted")
		return
	}
	pg = b.submit(f)
	pg.mustContain("Sign-in")
	f = pg.form(`input[name="login"]`)
	f.set("login", account)
	f.set("password", "any password")
	pg = b.submit(f)
	pg.mustContain("Authorize")
	f = pg.form(`input[name="prompt"][value="consent"]`)
	pg = b.submit(f)
	pg.mustContain("Sign-in Success")
}

// zitadelPerson drives the zitadel example's device pages: the code page,
// the username and password page, then the Allow or Deny button (a
// JavaScript location change to ./confirm?action=…).
func zitadelPerson(t *testing.T, p prompt, username string, allow bool) {
	t.Helper()
	b := newBrowser(t)
	pg := b.get(p.URI)
	f := pg.form(`input[name="user_code"]`)
	f.set("user_code", p.Code)
	pg = b.submit(f)
	f = pg.form(`input[name="username"]`)
	f.set("username", username)
	f.set("password", "verysecure")
	pg = b.submit(f)
	pg.mustContain("You are about to grant device")
	button, want := "Allow", "Device authorization allowed"
	if !allow {
		button, want = "Deny", "Device authorization denied"
	}
	pg = b.get(pg.buttonLocation(button))
	pg.mustContain(want)
}

// browser is a person's browser without JavaScript: a cookie jar and
// redirects followed.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar, Timeout: 15 * time.Second}}
}

func (b *browser) get(u string) *page {
	b.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) submit(f *form) *page {
	b.t.Helper()
	var req *http.Request
	var err error
	if strings.EqualFold(f.method, http.MethodPost) {
		req, err = http.NewRequest(http.MethodPost, f.action, strings.NewReader(f.values.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		u, perr := url.Parse(f.action)
		if perr != nil {
			b.t.Fatal(perr)
		}
		u.RawQuery = f.values.Encode()
		req, err = http.NewRequest(http.MethodGet, u.String(), nil)
	}
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	pg, err := parsePage(b.t, resp)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("%s %s: %s\n%s", req.Method, req.URL, resp.Status, pg.text())
	}
	return pg
}
