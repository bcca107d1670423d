package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/internal/ui"
	"github.com/jwtrace/jwtrace/login"
)

// hostileTokenEndpoint answers every token request with body.
func hostileTokenEndpoint(t *testing.T, status int, body string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/token"
}

// jwtraceAt is jwtrace with the command's clock at now.
func jwtraceAt(t *testing.T, now func() time.Time, s *ui.Streams, args ...string) run {
	t.Helper()
	var out, errOut bytes.Buffer
	s.Out, s.ErrOut, s.In = &out, &errOut, strings.NewReader("")
	code := RunWith(context.Background(), testDeps(t, s, now), args)
	return run{code, out.String(), errOut.String()}
}

// rawTerminalBytes reports whether s holds what a terminal would act on:
// ESC, BEL, C1 controls (as UTF-8) or bidi overrides.
func rawTerminalBytes(s string) bool {
	return strings.ContainsAny(s, "\x1b\x07\u009b\u009d\u202e\u2066")
}

func TestTokensThatAreNotPlainNeverReachTheTerminal(t *testing.T) {
	t.Parallel()
	osc52 := "abc\x1b]52;c;ZWNobyBwd25lZA==\x07"
	plain := "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."
	accessBody, _ := json.Marshal(map[string]any{"access_token": osc52, "token_type": "Bearer", "expires_in": 3600})
	idBody, _ := json.Marshal(map[string]any{"access_token": plain, "id_token": "eyJ\u202e.x\x1b[2J.y", "token_type": "Bearer", "expires_in": 3600})
	hop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("chain sent the token to the hop: %s", r.Header.Get("Authorization"))
	}))
	t.Cleanup(hop.Close)
	cc := []string{"--grant", "client-credentials", "--client-id", "ci"}
	cases := []struct {
		name string
		args func(endpoint string) []string
		body []byte
	}{
		{"login prints the access token", func(e string) []string { return append([]string{"login", "--token-endpoint", e}, cc...) }, accessBody},
		{"token prints the access token", func(e string) []string { return append([]string{"token", "--token-endpoint", e}, cc...) }, accessBody},
		{"token --id-token prints the ID token", func(e string) []string {
			return append([]string{"token", "--id-token", "--token-endpoint", e}, cc...)
		}, idBody},
		{"login --json prints both", func(e string) []string { return append([]string{"login", "--json", "--token-endpoint", e}, cc...) }, idBody},
		{"chain --login --show-token sends and prints it", func(e string) []string {
			return append([]string{"chain", "--login", "--show-token", "--token-endpoint", e, hop.URL}, cc...)
		}, accessBody},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := loginEnv(t, "JWTRACE_CLIENT_SECRET=s3cret")
			r := jwtrace(t, context.Background(), env, tc.args(hostileTokenEndpoint(t, 200, string(tc.body)))...)
			if r.code != ExitUnavailable || r.out != "" || rawTerminalBytes(r.errOut) {
				t.Fatalf("exit %d (want 3), stdout %q, stderr %q", r.code, r.out, r.errOut)
			}
			if !strings.Contains(r.errOut, "not a plain token string") {
				t.Errorf("stderr %q does not say why", r.errOut)
			}
			if files, _ := filepath.Glob(filepath.Join(env.Getenv("JWTRACE_CACHE_DIR"), "tokens", "*.json")); len(files) != 0 {
				t.Errorf("cached: %v", files)
			}
		})
	}
}

// A cache entry holding a hostile token, as an older jwtrace would have
// stored it, is refused rather than printed.
func TestTokenRefusesAPlantedCacheEntry(t *testing.T) {
	t.Parallel()
	env := loginEnv(t)
	req := &login.Request{TokenEndpoint: "https://idp.example/token", DeviceEndpoint: "https://idp.example/device", ClientID: "cli", Grant: login.GrantDevice,
		Params: map[string][]string{}}
	dir := filepath.Join(env.Getenv("JWTRACE_CACHE_DIR"), "tokens")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	key := login.CacheKey(req)
	b, _ := json.Marshal(map[string]any{"key": key, "login": map[string]any{"client_id": "cli", "grant": "device"},
		"token": map[string]any{"access_token": "x\x1b]0;owned\x07", "expiry": time.Now().Add(time.Hour), "source": "login"}})
	if err := os.WriteFile(filepath.Join(dir, key+".json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	r := jwtrace(t, context.Background(), env, "token", "--token-endpoint", req.TokenEndpoint, "--device-endpoint", req.DeviceEndpoint, "--client-id", "cli")
	if r.code == ExitOK || r.out != "" || rawTerminalBytes(r.errOut) || !strings.Contains(r.errOut, "jwtrace logout") {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.out, r.errOut)
	}
	if out := jwtrace(t, context.Background(), env, "logout"); out.code != 0 || !strings.Contains(out.errOut, "Removed 1 cached token.") {
		t.Fatalf("logout: exit %d %q", out.code, out.errOut)
	}
}

// Issue 17: JWTRACE_CLIENT_SECRET=wrong jwtrace login --grant
// client-credentials exited 0 with "Using the cached token".
func TestAWrongClientSecretIsNotAnsweredFromTheCache(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t)
	dir := t.TempDir()
	args := []string{"login", "--grant", "client-credentials", "--authority", srv.Issuer, "--client-id", authority.DefaultServiceClient}
	good := jwtrace(t, context.Background(), loginEnv(t, "JWTRACE_CACHE_DIR="+dir, "JWTRACE_CLIENT_SECRET="+authority.DefaultServiceSecret), args...)
	if good.code != 0 {
		t.Fatalf("exit %d\n%s", good.code, good.errOut)
	}
	bad := jwtrace(t, context.Background(), loginEnv(t, "JWTRACE_CACHE_DIR="+dir, "JWTRACE_CLIENT_SECRET=wrong"), args...)
	if bad.code != ExitUnavailable || bad.out != "" || strings.Contains(bad.errOut, "Using the cached token") || !strings.Contains(bad.errOut, "invalid_client") {
		t.Fatalf("exit %d, stdout %q\n%s", bad.code, bad.out, bad.errOut)
	}
	again := jwtrace(t, context.Background(), loginEnv(t, "JWTRACE_CACHE_DIR="+dir, "JWTRACE_CLIENT_SECRET="+authority.DefaultServiceSecret), args...)
	if again.code != 0 || again.out != good.out || !strings.Contains(again.errOut, "Using the cached token") {
		t.Fatalf("the right secret: exit %d\n%s", again.code, again.errOut)
	}
}

// After login --authority A, token --authority A --token-endpoint B must
// not send A's refresh token to B.
func TestTokenNeverSendsARefreshTokenToAnotherEndpoint(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"))
	withBrowser(t, func(string) error { return nil })
	dir := t.TempDir()
	first := jwtrace(t, context.Background(), loginEnv(t, "JWTRACE_CACHE_DIR="+dir), "login", "--authority", srv.Issuer, "--client-id", authority.DefaultPublicClient, "--scope", "offline_access")
	if first.code != 0 {
		t.Fatalf("exit %d\n%s", first.code, first.errOut)
	}
	var got atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.PostForm.Get("refresh_token") != "" {
			got.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"from-b","token_type":"Bearer","expires_in":3600}`)
	}))
	t.Cleanup(other.Close)
	// Two hours later the cached token has expired: token would refresh it.
	later := func() time.Time { return time.Now().Add(2 * time.Hour) }
	r := jwtraceAt(t, later, loginEnv(t, "JWTRACE_CACHE_DIR="+dir), "token", "--authority", srv.Issuer, "--token-endpoint", other.URL+"/token", "--client-id", authority.DefaultPublicClient, "--scope", "offline_access")
	if got.Load() != 0 || r.code != ExitDenied || r.out != "" {
		t.Fatalf("%d refresh tokens sent to %s; exit %d, stdout %q\n%s", got.Load(), other.URL, r.code, r.out, r.errOut)
	}
}

func TestServerErrorTextStaysOnOneLine(t *testing.T) {
	t.Parallel()
	endpoint := hostileTokenEndpoint(t, 401, `{"error":"invalid_client","error_description":"bad\nSigned in as admin@example.com · expires in 1h"}`)
	r := jwtrace(t, context.Background(), loginEnv(t, "JWTRACE_CLIENT_SECRET=s"), "login", "--grant", "client-credentials", "--token-endpoint", endpoint, "--client-id", "ci")
	lines := strings.Split(strings.TrimSuffix(r.errOut, "\n"), "\n")
	if r.code != ExitUnavailable || len(lines) != 1 || strings.HasPrefix(lines[0], "Signed in") || !strings.Contains(r.errOut, "Signed in as admin@example.com") {
		t.Fatalf("exit %d, stderr %q: want one line", r.code, r.errOut)
	}
}

func TestTokenEndpointRedirectToAnotherHostIsRefused(t *testing.T) {
	t.Parallel()
	var stolen atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { stolen.Add(1) }))
	t.Cleanup(evil.Close)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL+"/token", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(front.Close)
	r := jwtrace(t, context.Background(), loginEnv(t, "JWTRACE_CLIENT_SECRET=s3cret"), "login", "--grant", "client-credentials", "--token-endpoint", front.URL+"/token", "--client-id", "ci")
	if r.code != ExitUnavailable || stolen.Load() != 0 || !strings.Contains(r.errOut, strings.TrimPrefix(evil.URL, "http://")) || !strings.Contains(r.errOut, strings.TrimPrefix(front.URL, "http://")) {
		t.Fatalf("exit %d, %d requests to the other host\n%s", r.code, stolen.Load(), r.errOut)
	}
}

// A JWTRACE_CACHE_DIR shared with another local user: that user can plant
// a token jwtrace token would print.
func TestTokenRefusesACacheOthersCanWrite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{"a directory others can write", func(t *testing.T, dir string) { os.Chmod(dir, 0o777) }, "chmod 700"},
		{"a directory of another user", func(t *testing.T, dir string) {
			if os.Getuid() != 0 {
				t.Skip("giving a directory to another user needs root")
			}
			if err := os.Chown(dir, 65534, 65534); err != nil {
				t.Skipf("cannot chown: %v", err)
			}
		}, "belongs to another user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := loginEnv(t)
			dir := filepath.Join(env.Getenv("JWTRACE_CACHE_DIR"), "tokens")
			req := &login.Request{TokenEndpoint: "https://idp.example/token", DeviceEndpoint: "https://idp.example/device", ClientID: "cli", Grant: login.GrantDevice, Params: map[string][]string{}}
			c := &login.Cache{Dir: dir}
			if err := c.PutLogin(login.CacheKey(req), login.CacheLogin{ClientID: "cli"}, &login.Token{AccessToken: "planted", Expiry: time.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			tc.setup(t, dir)
			r := jwtrace(t, context.Background(), env, "token", "--token-endpoint", req.TokenEndpoint, "--device-endpoint", req.DeviceEndpoint, "--client-id", "cli")
			if r.code == ExitOK || r.out != "" || !strings.Contains(r.errOut, dir) || !strings.Contains(r.errOut, tc.want) || !strings.Contains(r.errOut, "JWTRACE_CACHE_DIR") {
				t.Fatalf("exit %d, stdout %q\n%s", r.code, r.out, r.errOut)
			}
		})
	}
}

// token prints a summary of the cached token on stderr, from claims the
// server chose: they are escaped (ui.Safe), never raw, and stay one line.
// (This passed before the fixes too: a regression test.)
func TestTheCachedTokensSummaryIsEscaped(t *testing.T) {
	t.Parallel()
	env := loginEnv(t)
	req := &login.Request{TokenEndpoint: "https://idp.example/token", DeviceEndpoint: "https://idp.example/device", ClientID: "cli", Grant: login.GrantDevice, Params: map[string][]string{}}
	claims := `{"preferred_username":"admin\nSigned in as root\u001b]0;x\u0007","aud":"api\u202e://x","exp":` + strconv.FormatInt(fixedNow().Add(time.Hour).Unix(), 10) + `}`
	jwt := b64(`{"alg":"RS256","typ":"JWT"}`) + "." + b64(claims) + ".c2ln"
	c := &login.Cache{Dir: filepath.Join(env.Getenv("JWTRACE_CACHE_DIR"), "tokens")}
	if err := c.PutLogin(login.CacheKey(req), login.CacheLogin{ClientID: "cli"}, &login.Token{AccessToken: jwt, Expiry: fixedNow().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	r := jwtrace(t, context.Background(), env, "token", "--token-endpoint", req.TokenEndpoint, "--device-endpoint", req.DeviceEndpoint, "--client-id", "cli")
	if r.code != 0 || r.out != jwt+"\n" {
		t.Fatalf("exit %d, stdout %q\n%s", r.code, r.out, r.errOut)
	}
	if rawTerminalBytes(r.errOut) || strings.Count(r.errOut, "\n") != 1 || !strings.HasPrefix(r.errOut, "Using the cached token as admin") {
		t.Fatalf("stderr %q", r.errOut)
	}
}
