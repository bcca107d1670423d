package cmd

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
)

// signingBrowser is a browser whose person signs in (or denies) on the
// authority's page.
func signingBrowser(t *testing.T, action string) *[]string {
	var mu sync.Mutex
	var opened []string
	withBrowser(t, func(u string) error {
		mu.Lock()
		opened = append(opened, u)
		mu.Unlock()
		go authoritytest.SignIn(t, u, action, "alice")
		return nil
	})
	return &opened
}

func TestLoginAuthCodeEndToEnd(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithClock(authoritytest.NewClock(fixedNow())))
	opened := signingBrowser(t, "approve")
	env := loginEnv(t)
	args := []string{"login", "--grant", "auth-code", "--authority", srv.Issuer, "--client-id", authority.DefaultPublicClient, "--scope", "openid offline_access", "--login-hint", "alice"}
	r := jwtrace(t, context.Background(), env, args...)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.errOut)
	}
	if !regexp.MustCompile(`^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$`).MatchString(r.out) {
		t.Fatalf("stdout is not just a token: %q", r.out)
	}
	if len(*opened) != 1 || !strings.HasPrefix((*opened)[0], srv.AuthorizeURL+"?") || !strings.Contains((*opened)[0], "code_challenge_method=S256") || !strings.Contains((*opened)[0], "login_hint=alice") {
		t.Fatalf("opened %v", *opened)
	}
	for _, want := range []string{"To sign in, open this URL in a browser:\n" + (*opened)[0] + "\n", "The browser was opened for you.", "Waiting for the sign-in at http://127.0.0.1:", "Signed in as alice@example.com"} {
		if !strings.Contains(r.errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.errOut)
		}
	}
	t.Run("the next login and jwtrace token use the cache", func(t *testing.T) {
		again := jwtrace(t, context.Background(), env, args...)
		if again.code != 0 || again.out != r.out || len(*opened) != 1 {
			t.Fatalf("exit %d\n%s", again.code, again.errOut)
		}
		tok := jwtrace(t, context.Background(), env, "token", "--grant", "auth-code", "--authority", srv.Issuer, "--client-id", authority.DefaultPublicClient, "--scope", "openid offline_access")
		if tok.code != 0 || tok.out != r.out {
			t.Fatalf("token: exit %d\n%s", tok.code, tok.errOut)
		}
	})
}

func TestLoginAuthCodeDeniedExitsFour(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithClock(authoritytest.NewClock(fixedNow())))
	signingBrowser(t, "deny")
	r := jwtrace(t, context.Background(), loginEnv(t), "login", "--grant", "auth-code", "--authority", srv.Issuer, "--client-id", authority.DefaultPublicClient)
	if r.code != ExitDenied || r.out != "" || !strings.Contains(r.errOut, "jwtrace: the login was denied: the user denied the request (access_denied)") {
		t.Fatalf("exit %d, stdout %q\n%s", r.code, r.out, r.errOut)
	}
}

// urlWatcher is a stderr that signs in as soon as the authorization URL
// shows up on a line of its own.
type urlWatcher struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	t    *testing.T
	done bool
	line *string
}

func (w *urlWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.done {
		for _, l := range strings.Split(w.buf.String(), "\n") {
			if strings.HasPrefix(l, "http://") && strings.Contains(l, "/authorize?") {
				w.done, *w.line = true, l
				go authoritytest.SignIn(w.t, l, "approve", "alice")
			}
		}
	}
	return len(p), nil
}

func TestLoginAuthCodeNoBrowserPrintsTheURL(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithClock(authoritytest.NewClock(fixedNow())))
	withBrowser(t, func(u string) error { t.Error("--no-browser opened a browser"); return nil })
	var line string
	w := &urlWatcher{t: t, line: &line}
	var out bytes.Buffer
	s := loginEnv(t)
	s.Out, s.ErrOut, s.In = &out, w, strings.NewReader("")
	code := RunWith(context.Background(), testDeps(t, s, fixedNow), []string{"login", "--grant", "auth-code", "--no-browser", "--redirect-host", "localhost", "--authority", srv.Issuer, "--client-id", authority.DefaultPublicClient, "--scope", "openid"})
	if code != 0 || !strings.HasPrefix(out.String(), "eyJ") {
		t.Fatalf("exit %d\n%s", code, w.buf.String())
	}
	if !strings.Contains(line, "redirect_uri=http%3A%2F%2Flocalhost%3A") {
		t.Errorf("URL line %q", line)
	}
}

func TestLoginAuthCodeTimesOut(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithClock(authoritytest.NewClock(fixedNow())))
	withBrowser(t, func(u string) error { return nil }) // nobody signs in
	r := jwtrace(t, context.Background(), loginEnv(t), "login", "--grant", "auth-code", "--timeout", "200ms", "--authority", srv.Issuer, "--client-id", authority.DefaultPublicClient)
	if r.code != ExitUnavailable || !strings.Contains(r.errOut, "no token after --timeout 200ms") {
		t.Fatalf("exit %d\n%s", r.code, r.errOut)
	}
}

// With the authority gone while jwtrace polls, the errors show as they
// happen and the login ends with exit 3 (issue 17).
func TestLoginShowsNetworkErrorsAsTheyHappen(t *testing.T) {
	t.Parallel()
	dev := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"device_code":"d","user_code":"ABCD-EFGH","verification_uri":"https://example.com/device","expires_in":600,"interval":1}`))
	}))
	t.Cleanup(dev.Close)
	// Port 1: nothing listens there, and unlike a closed ephemeral port no
	// server of a parallel test can take it.
	deadURL := "http://127.0.0.1:1"
	r := jwtrace(t, context.Background(), loginEnv(t), "login", "--no-browser", "--device-endpoint", dev.URL+"/device", "--token-endpoint", deadURL+"/token", "--client-id", "cli")
	if r.code != ExitUnavailable || r.out != "" {
		t.Fatalf("exit %d\n%s", r.code, r.errOut)
	}
	for _, want := range []string{
		"authority unreachable: connection refused; retrying in 2s (1 of 5)\n",
		"authority unreachable: connection refused; retrying in 16s (4 of 5)\n",
		"gave up after 5 failed polls in a row: connection refused",
	} {
		if !strings.Contains(r.errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.errOut)
		}
	}
}

func TestLoginGrantSpellings(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithClock(authoritytest.NewClock(fixedNow())))
	for _, g := range []string{"client_credentials", "client-credentials"} {
		r := jwtrace(t, context.Background(), loginEnv(t, "JWTRACE_CLIENT_SECRET="+authority.DefaultServiceSecret), "login", "--grant", g, "--authority", srv.Issuer, "--client-id", authority.DefaultServiceClient)
		if r.code != 0 || !strings.HasPrefix(r.out, "eyJ") {
			t.Fatalf("--grant %s: exit %d\n%s", g, r.code, r.errOut)
		}
	}
}

// private_key_jwt and a federated client assertion, from the command line.
func TestLoginClientKeyAndAssertion(t *testing.T) {
	t.Parallel()
	raw, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(raw)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "ci.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	pub, _ := jwk.Import(raw.Public())
	pub.Set(jwk.KeyIDKey, "ci-1")
	set := jwk.NewSet()
	set.AddKey(pub)
	jwks, _ := json.Marshal(set)
	srv := authoritytest.Start(t, authoritytest.WithClock(authoritytest.NewClock(fixedNow())), authoritytest.WithConfig(func(c *authority.Config) {
		c.Clients = append(authority.DefaultClients(), authority.Client{ID: "ci", JWKS: jwks, GrantTypes: []string{authority.GrantClientCredentials}})
	}))
	r := jwtrace(t, context.Background(), loginEnv(t), "login", "--grant", "client_credentials", "--authority", srv.Issuer, "--client-id", "ci", "--client-key", keyFile, "--client-key-id", "ci-1")
	if r.code != 0 || !strings.HasPrefix(r.out, "eyJ") || !strings.Contains(r.errOut, "Signed in as ci") {
		t.Fatalf("--client-key: exit %d\n%s", r.code, r.errOut)
	}
	// A federated token: an assertion minted elsewhere (here: by the CI's
	// key), given in a variable.
	assertion, err := authority.Sign(mustKey(t, raw), nil, map[string]any{"iss": "ci", "sub": "ci", "aud": srv.Issuer, "exp": fixedNow().Add(5 * time.Minute).Unix(), "jti": "j-1"})
	if err != nil {
		t.Fatal(err)
	}
	r = jwtrace(t, context.Background(), loginEnv(t, "CI_TOKEN="+assertion), "login", "--grant", "client_credentials", "--authority", srv.Issuer, "--client-id", "ci", "--client-assertion", "env:CI_TOKEN")
	if r.code != 0 || !strings.HasPrefix(r.out, "eyJ") {
		t.Fatalf("--client-assertion: exit %d\n%s", r.code, r.errOut)
	}
	r = jwtrace(t, context.Background(), loginEnv(t, "CI_TOKEN="+assertion), "login", "--grant", "client_credentials", "--authority", srv.Issuer, "--client-id", "ci", "--client-assertion", "env:CI_TOKEN", "--force")
	if r.code != ExitUnavailable || !strings.Contains(r.errOut, "already used") {
		t.Fatalf("a replayed assertion: exit %d\n%s", r.code, r.errOut)
	}
	for _, bad := range [][]string{
		{"--client-key", filepath.Join(dir, "missing.pem")},
		{"--client-assertion", "env:NOT_SET"},
		{"--client-key-id", "x"},
		{"--client-auth", "tls_client_auth", "--client-secret", "s"},
	} {
		r := jwtrace(t, context.Background(), loginEnv(t), append([]string{"login", "--grant", "client_credentials", "--authority", srv.Issuer, "--client-id", "ci"}, bad...)...)
		if r.code != ExitUsage {
			t.Errorf("%v: exit %d\n%s", bad, r.code, r.errOut)
		}
	}
}

func mustKey(t *testing.T, raw *ecdsa.PrivateKey) *authority.Key {
	k, err := jwk.Import(raw)
	if err != nil {
		t.Fatal(err)
	}
	return &authority.Key{JWK: k, Alg: "ES256", KID: "ci-1"}
}
