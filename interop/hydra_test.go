package interop

// Ory Hydra v2 (github.com/ory/hydra/v2 v2.3.0, a tool of this module:
// see go.mod and README.md) on loopback with an in-memory database, and the
// login and consent app it needs, which is the test's own: Hydra has no
// user pages of its own, it redirects the browser to the app with a
// challenge and the app accepts or rejects it through Hydra's admin API
// (https://www.ory.sh/docs/hydra/guides/custom-ui-oauth2, API paths from
// hydra v2.3.0 consent/handler.go).

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hydraBin is the hydra binary: $HYDRA_BIN, else hydra on PATH. It must be
// built with -tags sqlite (the in-memory database is SQLite):
//
//	go build -tags sqlite,sqlite_omit_load_extension -o hydra github.com/ory/hydra/v2
func hydraBin(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("HYDRA_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("HYDRA_BIN=%s: %v", p, err)
		}
		return p
	}
	const build = "cd interop && go build -tags sqlite,sqlite_omit_load_extension -o /tmp/hydra github.com/ory/hydra/v2"
	p, err := exec.LookPath("hydra")
	if err != nil {
		t.Skip("Ory Hydra is not available: set HYDRA_BIN to a hydra v2 binary built with -tags sqlite (" + build + "), or put hydra on PATH")
	}
	// Debian's hydra package is THC-Hydra, a password cracker: Ory
	// Hydra's `hydra version` prints "Git Hash:" (hydra v2.3.0
	// cmd/version.go).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, p, "version").Output(); err != nil || !bytes.Contains(out, []byte("Git Hash:")) {
		t.Skipf("%s is not Ory Hydra (`hydra version` did not answer like it): set HYDRA_BIN to a hydra v2 binary (%s)", p, build)
	}
	return p
}

// The person who signs in at the login app, and the password it takes.
const (
	hydraUser     = "alice"
	hydraPassword = "alice-password"
	hydraEmail    = "alice@example.com"
)

// Hydra is one Hydra for a test: its issuer (public port) and admin API.
type Hydra struct {
	Issuer string // http://127.0.0.1:PORT/ (Hydra's issuer ends in a slash)
	Admin  string // http://127.0.0.1:PORT, the admin API
	// Introspection is RFC 7662's endpoint: on the admin port, so not
	// in discovery.
	Introspection string
	// ServiceKey is the PEM file of service-key's private key.
	ServiceKey string
	server     *server
}

// startHydra starts `hydra serve all --dev` with DSN=memory, both ports on
// 127.0.0.1, the test's login and consent app, and its clients:
//
//   - cli: public (token_endpoint_auth_method none), authorization_code and
//     refresh_token, redirect URI http://127.0.0.1/callback (any port: fosite
//     v0.49.0 authorize_helper.go isMatchingAsLoopback, RFC 8252 §7.3),
//     scopes openid email offline_access; opaque access tokens.
//   - cli-jwt: the same with JWT access tokens (access_token_strategy jwt)
//     and the audience https://orders.example with the scope orders.read.
//   - service: confidential (secret service-secret, client_secret_basic),
//     client_credentials, audience https://orders.example, scope orders.read,
//     JWT access tokens.
//   - service-post: the same with client_secret_post (secret
//     service-post-secret).
//   - service-key: the same with private_key_jwt (RFC 7523), an ES256 key
//     whose private half is in the file h.ServiceKey, kid service-key-1.
//
// PKCE is enforced for public clients.
func startHydra(t *testing.T) *Hydra {
	t.Helper()
	bin := hydraBin(t)
	h := &Hydra{}
	app := httptest.NewServer(&hydraApp{admin: func() string { return h.Admin }})
	t.Cleanup(app.Close)

	// Hydra takes fixed ports, and the issuer must be known before it
	// starts: take two free ones, and try again if another process got one
	// first.
	for attempt := 1; ; attempt++ {
		public, admin := freePort(t), freePort(t)
		h.Issuer = fmt.Sprintf("http://127.0.0.1:%d/", public)
		h.Admin = fmt.Sprintf("http://127.0.0.1:%d", admin)
		h.Introspection = h.Admin + "/admin/oauth2/introspect"
		cmd := exec.Command(bin, "serve", "all", "--dev", "--sqa-opt-out")
		// Configuration by environment (hydra v2.3.0
		// driver/config/provider.go keys, dots as underscores).
		cmd.Env = append(os.Environ(),
			"DSN=memory",
			"SQA_OPT_OUT=true",
			"SERVE_PUBLIC_HOST=127.0.0.1", "SERVE_PUBLIC_PORT="+strconv.Itoa(public),
			"SERVE_ADMIN_HOST=127.0.0.1", "SERVE_ADMIN_PORT="+strconv.Itoa(admin),
			"URLS_SELF_ISSUER="+h.Issuer,
			"URLS_LOGIN="+app.URL+"/login",
			"URLS_CONSENT="+app.URL+"/consent",
			"SECRETS_SYSTEM=jwtrace-interop-not-a-secret",
			"OAUTH2_PKCE_ENFORCED_FOR_PUBLIC_CLIENTS=true",
			"LOG_LEVEL=info",
		)
		srv, err := startHydraProcess(t, cmd, h.Admin)
		if err == nil {
			h.server = srv
			break
		}
		if strings.Contains(srv.log.String(), "SQLite support was not built into the binary") {
			t.Fatalf("%s was built without SQLite, which the in-memory database needs: build it with -tags sqlite,sqlite_omit_load_extension", bin)
		}
		if attempt == 3 || !strings.Contains(srv.log.String(), "address already in use") {
			t.Fatalf("starting hydra: %v; log:\n%s", err, tail(srv.log.String(), 60))
		}
	}

	// Quirk: Hydra makes its signing keys on first use, and its JWKS
	// handler does so without the lock the signers take (hydra v2.3.0
	// jwk/handler.go discoverJsonWebKeys, jwk/helper.go GetOrGenerateKeys):
	// a JWKS fetch racing the first JWT access token can leave two keys in
	// the access token set, and Hydra's own introspection then checks the
	// token with the other one ("token_signature_mismatch", active false)
	// although the token verifies with its kid. One fetch before the
	// parallel tests makes the keys once.
	if err := hydraAdmin(strings.TrimSuffix(h.Issuer, "/"), http.MethodGet, "/.well-known/jwks.json", nil, nil, nil); err != nil {
		t.Fatalf("hydra's JWKS: %v", err)
	}

	h.createClient(t, map[string]any{
		"client_id":                  "cli",
		"client_name":                "jwtrace (opaque)",
		"token_endpoint_auth_method": "none",
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"response_types":             []string{"code"},
		"redirect_uris":              []string{"http://127.0.0.1/callback"},
		"scope":                      "openid email offline_access",
	})
	h.createClient(t, map[string]any{
		"client_id":                  "cli-jwt",
		"client_name":                "jwtrace (JWT)",
		"token_endpoint_auth_method": "none",
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"response_types":             []string{"code"},
		"redirect_uris":              []string{"http://127.0.0.1/callback"},
		"scope":                      "openid email offline_access orders.read",
		"audience":                   []string{"https://orders.example"},
		"access_token_strategy":      "jwt",
	})
	h.createClient(t, map[string]any{
		"client_id":                  "service",
		"client_secret":              "service-secret",
		"token_endpoint_auth_method": "client_secret_basic",
		"grant_types":                []string{"client_credentials"},
		"scope":                      "orders.read",
		"audience":                   []string{"https://orders.example"},
		"access_token_strategy":      "jwt",
	})
	h.createClient(t, map[string]any{
		"client_id":                  "service-post",
		"client_secret":              "service-post-secret",
		"token_endpoint_auth_method": "client_secret_post",
		"grant_types":                []string{"client_credentials"},
		"scope":                      "orders.read",
		"audience":                   []string{"https://orders.example"},
		"access_token_strategy":      "jwt",
	})
	// service-key authenticates with a private_key_jwt assertion signed
	// with h.ServiceKey (ES256), whose public key is registered inline.
	key := mustECKey(t)
	h.ServiceKey = writeECKey(t, key)
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	xy := pub.Bytes()[1:] // 0x04 || X || Y (SEC 1 §2.3.3)
	h.createClient(t, map[string]any{
		"client_id":                       "service-key",
		"token_endpoint_auth_method":      "private_key_jwt",
		"token_endpoint_auth_signing_alg": "ES256",
		"jwks": map[string]any{"keys": []map[string]any{{
			"kty": "EC", "crv": "P-256", "kid": "service-key-1", "use": "sig", "alg": "ES256",
			"x": base64.RawURLEncoding.EncodeToString(xy[:32]),
			"y": base64.RawURLEncoding.EncodeToString(xy[32:]),
		}}},
		"grant_types":           []string{"client_credentials"},
		"scope":                 "orders.read",
		"audience":              []string{"https://orders.example"},
		"access_token_strategy": "jwt",
	})
	return h
}

func mustECKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// writeECKey writes key as a PKCS #8 PEM file in a temporary directory and
// returns its path.
func writeECKey(t *testing.T, key *ecdsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// freePort is a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startHydraProcess starts hydra in its own process group (stopped when the
// test ends, as startServer does) and waits up to 30 s for its admin API to
// be ready. The server it returns has the log even on error.
func startHydraProcess(t *testing.T, cmd *exec.Cmd, admin string) (*server, error) {
	t.Helper()
	s := &server{name: "hydra", cmd: cmd, log: &syncBuffer{}, done: make(chan struct{})}
	setProcAttr(cmd)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		return s, err
	}
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("hydra (pid %d) log:\n%s", cmd.Process.Pid, tail(s.log.String(), 150))
		}
	})
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-s.done:
			return s, fmt.Errorf("hydra exited (%v)", cmd.ProcessState)
		default:
		}
		if resp, err := c.Get(admin + "/health/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return s, fmt.Errorf("hydra's admin API %s was not ready within 30s", admin)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// createClient registers an OAuth 2.0 client (POST /admin/clients).
func (h *Hydra) createClient(t *testing.T, c map[string]any) {
	t.Helper()
	var out map[string]any
	if err := hydraAdmin(h.Admin, http.MethodPost, "/admin/clients", nil, c, &out); err != nil {
		t.Fatalf("creating hydra client %v: %v", c["client_id"], err)
	}
}

// hydraAdmin calls Hydra's admin API with a JSON body (nil for none) and
// decodes the JSON answer into out.
func hydraAdmin(admin, method, path string, query url.Values, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	u := admin + path
	if query != nil {
		u += "?" + query.Encode()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return nil
}

// hydraApp is the login and consent app: a sign-in page that takes one
// person (alice, with her password), and a consent page that grants what
// the client asked for (scopes and access token audiences) or denies it.
type hydraApp struct {
	admin func() string
}

var hydraPage = template.Must(template.New("").Parse(`<!doctype html>
<html><head><title>{{.Title}}</title></head><body>
<h1>{{.Title}}</h1>
{{if .Error}}<p>{{.Error}}</p>{{end}}
{{if .Login}}
<form method="post" action="/login">
<input type="hidden" name="login_challenge" value="{{.Challenge}}">
<label>Username <input name="username"></label>
<label>Password <input type="password" name="password"></label>
<button type="submit">Sign in</button>
</form>
{{else}}
<p>{{.Client}} asks for: {{range .Scopes}}{{.}} {{end}}{{if .Audience}}for {{range .Audience}}{{.}} {{end}}{{end}}</p>
<form method="post" action="/consent"><input type="hidden" name="consent_challenge" value="{{.Challenge}}"><input type="hidden" name="decision" value="allow"><button type="submit">Allow</button></form>
<form method="post" action="/consent"><input type="hidden" name="consent_challenge" value="{{.Challenge}}"><input type="hidden" name="decision" value="deny"><button type="submit">Deny</button></form>
{{end}}
</body></html>`))

type hydraPageData struct {
	Title, Error, Challenge, Client string
	Login                           bool
	Scopes, Audience                []string
}

// redirect is what Hydra answers an accept or reject with.
type redirect struct {
	RedirectTo string `json:"redirect_to"`
}

func (a *hydraApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	admin := a.admin()
	fail := func(err error) { http.Error(w, "login app: "+err.Error(), http.StatusBadGateway) }
	show := func(d hydraPageData) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		hydraPage.Execute(w, d)
	}
	switch {
	case r.URL.Path == "/login" && r.Method == http.MethodGet:
		ch := r.Form.Get("login_challenge")
		var req struct {
			Skip    bool   `json:"skip"`
			Subject string `json:"subject"`
		}
		if err := hydraAdmin(admin, http.MethodGet, "/admin/oauth2/auth/requests/login", url.Values{"login_challenge": {ch}}, nil, &req); err != nil {
			fail(err)
			return
		}
		if req.Skip { // Hydra remembers the person: accept without asking.
			a.acceptLogin(w, r, admin, ch, req.Subject)
			return
		}
		show(hydraPageData{Title: "Sign in", Login: true, Challenge: ch})
	case r.URL.Path == "/login" && r.Method == http.MethodPost:
		ch := r.PostForm.Get("login_challenge")
		if r.PostForm.Get("username") != hydraUser || r.PostForm.Get("password") != hydraPassword {
			show(hydraPageData{Title: "Sign in", Login: true, Challenge: ch, Error: "Wrong username or password."})
			return
		}
		a.acceptLogin(w, r, admin, ch, hydraUser)
	case r.URL.Path == "/consent" && r.Method == http.MethodGet:
		ch := r.Form.Get("consent_challenge")
		var req struct {
			Scopes   []string `json:"requested_scope"`
			Audience []string `json:"requested_access_token_audience"`
			Client   struct {
				ID string `json:"client_id"`
			} `json:"client"`
		}
		if err := hydraAdmin(admin, http.MethodGet, "/admin/oauth2/auth/requests/consent", url.Values{"consent_challenge": {ch}}, nil, &req); err != nil {
			fail(err)
			return
		}
		show(hydraPageData{Title: "Consent", Challenge: ch, Client: req.Client.ID, Scopes: req.Scopes, Audience: req.Audience})
	case r.URL.Path == "/consent" && r.Method == http.MethodPost:
		ch := r.PostForm.Get("consent_challenge")
		q := url.Values{"consent_challenge": {ch}}
		var to redirect
		if r.PostForm.Get("decision") != "allow" {
			err := hydraAdmin(admin, http.MethodPut, "/admin/oauth2/auth/requests/consent/reject", q, map[string]any{
				"error": "access_denied", "error_description": hydraUser + " said no at the consent page",
			}, &to)
			if err != nil {
				fail(err)
				return
			}
			http.Redirect(w, r, to.RedirectTo, http.StatusFound)
			return
		}
		var req struct {
			Scopes   []string `json:"requested_scope"`
			Audience []string `json:"requested_access_token_audience"`
		}
		if err := hydraAdmin(admin, http.MethodGet, "/admin/oauth2/auth/requests/consent", q, nil, &req); err != nil {
			fail(err)
			return
		}
		idToken := map[string]any{}
		for _, s := range req.Scopes {
			if s == "email" { // OpenID Connect Core §5.4
				idToken["email"], idToken["email_verified"] = hydraEmail, true
			}
		}
		err := hydraAdmin(admin, http.MethodPut, "/admin/oauth2/auth/requests/consent/accept", q, map[string]any{
			"grant_scope":                 req.Scopes,
			"grant_access_token_audience": req.Audience,
			"session":                     map[string]any{"id_token": idToken},
		}, &to)
		if err != nil {
			fail(err)
			return
		}
		http.Redirect(w, r, to.RedirectTo, http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

func (a *hydraApp) acceptLogin(w http.ResponseWriter, r *http.Request, admin, challenge, subject string) {
	var to redirect
	if err := hydraAdmin(admin, http.MethodPut, "/admin/oauth2/auth/requests/login/accept", url.Values{"login_challenge": {challenge}},
		map[string]any{"subject": subject}, &to); err != nil {
		http.Error(w, "login app: "+err.Error(), http.StatusBadGateway)
		return
	}
	http.Redirect(w, r, to.RedirectTo, http.StatusFound)
}
