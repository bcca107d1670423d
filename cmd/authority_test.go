package cmd

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/jwtrace/jwtrace/internal/ui"

	"github.com/jwtrace/jwtrace/internal/syncbuf"
)

// serving is a jwtrace authority serve running in-process.
type serving struct {
	firstLine string
	errOut    *syncbuf.Buffer
	cancel    context.CancelFunc
	done      chan int
}

// startServe runs "jwtrace authority serve args..." until stop, and
// returns once it has printed its first stdout line.
func startServe(t *testing.T, args ...string) *serving {
	t.Helper()
	pr, pw := io.Pipe()
	errOut := &syncbuf.Buffer{}
	s := &ui.Streams{In: strings.NewReader(""), Out: pw, ErrOut: errOut, Env: []string{"TERM=dumb"}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		code := RunWith(ctx, testDeps(t, s, time.Now), append([]string{"authority", "serve"}, args...))
		pw.Close()
		done <- code
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	go io.Copy(io.Discard, pr)
	if err != nil {
		cancel()
		t.Fatalf("no URL on stdout (exit %d): %v\n%s", <-done, err, errOut)
	}
	srv := &serving{firstLine: strings.TrimSuffix(line, "\n"), errOut: errOut, cancel: cancel, done: done}
	t.Cleanup(func() { cancel() })
	return srv
}

// stop cancels the context (Ctrl-C) and returns the exit code.
func (s *serving) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("authority serve did not stop within 10s of Ctrl-C")
		return -1
	}
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestAuthorityServeAnswersAndStopsOnCtrlC(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	srv := startServe(t, "--addr", "127.0.0.1:0", "--state", state, "--auto-approve", "alice", "--poll-interval", "1s")
	base := srv.firstLine
	if !strings.HasPrefix(base, "http://127.0.0.1:") || strings.HasSuffix(base, ":0") {
		t.Fatalf("first stdout line %q is not the URL", base)
	}

	var d struct {
		Issuer                      string `json:"issuer"`
		TokenEndpoint               string `json:"token_endpoint"`
		DeviceAuthorizationEndpoint string `json:"device_authorization_endpoint"`
		JWKSURI                     string `json:"jwks_uri"`
	}
	getJSON(t, base+"/.well-known/openid-configuration", &d)
	if d.Issuer != base || d.TokenEndpoint != base+"/token" || d.JWKSURI != base+"/jwks.json" || d.DeviceAuthorizationEndpoint != base+"/device_authorization" {
		t.Fatalf("discovery %+v", d)
	}

	// Client credentials with the default confidential client.
	cc := clientcredentials.Config{ClientID: "jwtrace-service", ClientSecret: "jwtrace-service-secret", TokenURL: d.TokenEndpoint}
	tok, err := cc.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(d.JWKSURI)
	if err != nil {
		t.Fatal(err)
	}
	set, err := jwk.ParseReader(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwt.Parse([]byte(tok.AccessToken), jwt.WithKeySet(set), jwt.WithIssuer(base), jwt.WithAudience("api://default")); err != nil {
		t.Fatalf("the access token does not verify: %v", err)
	}

	// A device flow, auto-approved: the first poll gets the token.
	resp, err = http.PostForm(d.DeviceAuthorizationEndpoint, url.Values{"client_id": {"jwtrace"}, "scope": {"openid"}})
	if err != nil {
		t.Fatal(err)
	}
	var da map[string]any
	json.NewDecoder(resp.Body).Decode(&da)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("device authorization: %s %v", resp.Status, da)
	}
	resp, err = http.PostForm(d.TokenEndpoint, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "client_id": {"jwtrace"}, "device_code": {da["device_code"].(string)}})
	if err != nil {
		t.Fatal(err)
	}
	var tr map[string]any
	json.NewDecoder(resp.Body).Decode(&tr)
	resp.Body.Close()
	if resp.StatusCode != 200 || tr["id_token"] == nil {
		t.Fatalf("device token: %s %v", resp.Status, tr)
	}

	if code := srv.stop(t); code != ExitOK {
		t.Errorf("Ctrl-C: exit %d, want 0\n%s", code, srv.errOut)
	}
	log := srv.errOut.String()
	for _, want := range []string{
		"jwtrace authority: serving " + base,
		"clients    jwtrace (public): authorization_code, device_code, refresh_token",
		"jwtrace-service (secret jwtrace-service-secret): authorization_code, client_credentials, device_code, refresh_token, token-exchange, jwt-bearer",
		"users      alice email=alice@example.com email_verified=true name=Alice Example",
		"approval   automatic, as alice",
		" GET /.well-known/openid-configuration 200",
		" POST /token 200 client=jwtrace-service grant=client_credentials issued",
		" POST /device_authorization 200 client=jwtrace user_code=",
		" POST /token 200 client=jwtrace grant=device_code issued",
		"jwtrace authority: stopped",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("stderr lacks %q:\n%s", want, log)
		}
	}

	// A restart on the same state directory serves the same key.
	again := startServe(t, "--addr", "127.0.0.1:0", "--state", state, "--json", "--quiet")
	var sum struct {
		URL  string
		Keys []struct {
			Kid     string
			Signing bool
		}
		Clients []struct {
			ClientID string `json:"client_id"`
			Public   bool
		}
	}
	if err := json.Unmarshal([]byte(again.firstLine), &sum); err != nil {
		t.Fatalf("--json line %q: %v", again.firstLine, err)
	}
	if k, _ := set.Key(0); len(sum.Keys) != 1 || func() string { s, _ := k.KeyID(); return s }() != sum.Keys[0].Kid {
		t.Errorf("restart: keys %+v", sum.Keys)
	}
	if len(sum.Clients) != 2 || strings.Contains(again.firstLine, "secret") {
		t.Errorf("--json: %s", again.firstLine)
	}
	if code := again.stop(t); code != 0 || again.errOut.String() != "" {
		t.Errorf("--quiet: exit %d, stderr %q", code, again.errOut)
	}
}

func TestAuthorityServeExitCodes(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(cfg, []byte(`{"clients":[{"id":"x"}]}`), 0o600)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a non-loopback address is refused", []string{"--addr", "0.0.0.0:0"}, ExitUsage, "not a loopback address"},
		{"a port in use cannot be served", []string{"--addr", busy.Addr().String()}, ExitUnavailable, "cannot listen on " + busy.Addr().String()},
		{"an unknown algorithm is a usage error", []string{"--alg", "HS256"}, ExitUsage, "unsupported algorithm"},
		{"auto-approve for an unknown user is a usage error", []string{"--auto-approve", "mallory"}, ExitUsage, `auto-approve: no user "mallory"`},
		{"a config file with a typo is a usage error", []string{"--config", cfg}, ExitUsage, `unknown field "id"`},
		{"a zero lifetime is a usage error", []string{"--ttl", "0s"}, ExitUsage, "--ttl must be positive"},
		{"a bad --user is a usage error", []string{"--user", "bob,name"}, ExitUsage, "is not CLAIM=VALUE"},
		{"--ephemeral with --state is a usage error", []string{"--state", t.TempDir()}, ExitUsage, "exclude each other"},
		{"an argument is a usage error", []string{"now"}, ExitUsage, "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"authority", "serve", "--ephemeral", "--addr", "127.0.0.1:0"}, tt.args...)
			if tt.name == "--ephemeral with --state is a usage error" {
				args = append([]string{"authority", "serve", "--ephemeral"}, tt.args...)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			r := jwtrace(t, ctx, &ui.Streams{}, args...)
			if r.code != tt.code || !strings.Contains(r.errOut, tt.want) || r.out != "" {
				t.Errorf("exit %d (want %d)\nstdout %q\nstderr %s", r.code, tt.code, r.out, r.errOut)
			}
		})
	}
}

func TestAuthorityRotateAndKeys(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	env := &ui.Streams{Env: []string{"TERM=dumb", "JWTRACE_AUTHORITY_DIR=" + state}}
	ctx := context.Background()

	first := jwtrace(t, ctx, env, "authority", "rotate")
	second := jwtrace(t, ctx, env, "authority", "rotate", "--alg", "ES256")
	if first.code != 0 || second.code != 0 || first.out == second.out || len(strings.TrimSpace(first.out)) != 43 {
		t.Fatalf("rotate: %+v %+v", first, second)
	}
	if !strings.Contains(second.errOut, "new ES256 key "+strings.TrimSpace(second.out)+" signs from now on; 2 keys published") {
		t.Errorf("stderr %q", second.errOut)
	}
	keys := jwtrace(t, ctx, env, "authority", "keys")
	lines := strings.Split(strings.TrimSpace(keys.out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], strings.TrimSpace(first.out)+"  RS256") || !strings.HasSuffix(lines[1], "signs") || strings.HasSuffix(lines[0], "signs") {
		t.Errorf("keys:\n%s", keys.out)
	}
	pub := jwtrace(t, ctx, env, "authority", "keys", "--jwks")
	set, err := jwk.Parse([]byte(pub.out))
	if err != nil || set.Len() != 2 || strings.Contains(pub.out, `"d"`) {
		t.Fatalf("--jwks: %v\n%s", err, pub.out)
	}

	// mint signs with the newest key, and the published JWKS verifies it.
	m := jwtrace(t, ctx, env, "mint", "--sub", "alice", "--aud", "api://x")
	if m.code != 0 || m.errOut != "" {
		t.Fatalf("mint: %+v", m)
	}
	tok := strings.TrimSpace(m.out)
	if _, err := jwt.Parse([]byte(tok), jwt.WithKeySet(set), jwt.WithIssuer("http://127.0.0.1:9400"), jwt.WithAudience("api://x"), jwt.WithClock(jwt.ClockFunc(fixedNow))); err != nil {
		t.Errorf("minted token does not verify: %v", err)
	}
	var js struct{ Header map[string]any }
	mj := jwtrace(t, ctx, env, "mint", "--json")
	json.Unmarshal([]byte(mj.out), &js)
	if js.Header["kid"] != strings.TrimSpace(second.out) || js.Header["alg"] != "ES256" {
		t.Errorf("mint --json header %v", js.Header)
	}

	if r := jwtrace(t, ctx, env, "authority", "rotate", "--alg", "HS256"); r.code != ExitUsage {
		t.Errorf("rotate --alg HS256: exit %d", r.code)
	}
	if r := jwtrace(t, ctx, env, "authority", "nope"); r.code != ExitUsage || !strings.Contains(r.errOut, `unknown command "nope"`) {
		t.Errorf("authority nope: %+v", r)
	}
	fi, _ := os.Stat(filepath.Join(state, "keys.json"))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("keys.json mode %v", fi.Mode())
	}
}

// hostStatus GETs u with the Host header host and returns the status.
func hostStatus(t *testing.T, u, host string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// serve answers its URL's host (--url) and loopback names, with --issuer
// paths too, and 421 to other hosts (DNS rebinding).
func TestAuthorityServeChecksTheHost(t *testing.T) {
	t.Parallel()
	srv := startServe(t, "--addr", "127.0.0.1:0", "--ephemeral", "--quiet", "--issuer", "https://login.example.com/tenant/v2.0")
	base := srv.firstLine
	port := strings.TrimSuffix(strings.TrimPrefix(base, "http://127.0.0.1:"), "/tenant/v2.0")
	disc := base + "/.well-known/openid-configuration"
	for host, want := range map[string]int{
		"127.0.0.1:" + port:               200,
		"localhost:" + port:               200,
		"login.example.com":               421,
		"rebind.attacker.example:" + port: 421,
	} {
		if got := hostStatus(t, disc, host); got != want {
			t.Errorf("--issuer with a path, Host %q: %d, want %d", host, got, want)
		}
	}
	srv.stop(t)

	// --url names the host clients use (through a proxy or /etc/hosts, say).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	port = strings.TrimPrefix(addr, "127.0.0.1:")
	ln.Close()
	srv = startServe(t, "--addr", addr, "--ephemeral", "--quiet", "--url", "http://Authority.test:"+port)
	disc = "http://" + addr + "/.well-known/openid-configuration"
	for host, want := range map[string]int{
		"authority.test:" + port:          200,
		"localhost":                       200,
		"authority.test":                  421,
		"other.test:" + port:              421,
		"rebind.attacker.example:" + port: 421,
	} {
		if got := hostStatus(t, disc, host); got != want {
			t.Errorf("--url, Host %q: %d, want %d", host, got, want)
		}
	}
	srv.stop(t)
}

// The serve help's example of starting the authority in the background
// and reading its URL must work in a shell (command substitution of a
// background job waits for it to exit: forever).
func TestAuthorityServeHelpExampleRuns(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	if _, err := exec.LookPath("jwtrace"); err != nil {
		t.Skip("jwtrace is not on PATH (TestMain puts it there)")
	}
	var lines []string
	for _, l := range strings.Split(newAuthorityServeCmd(ui.System(), time.Now).Example, "\n") {
		l = strings.TrimSpace(l)
		if len(lines) > 0 || strings.Contains(l, "--auto-approve alice") {
			lines = append(lines, l)
		}
		if len(lines) > 0 && strings.Contains(l, "URL=") {
			break
		}
	}
	if len(lines) == 0 {
		t.Fatal("no example with --auto-approve alice and URL=")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, sh, "-c", strings.Join(lines, "\n")+"\nkill $!\necho \"$URL\"")
	c.Dir = t.TempDir()
	c.Env = append(os.Environ(), "JWTRACE_AUTHORITY_DIR="+t.TempDir())
	c.WaitDelay = time.Second
	out, err := c.Output()
	if ctx.Err() != nil {
		t.Fatalf("the example did not finish within 15s:\n%s", strings.Join(lines, "\n"))
	}
	if err != nil || !regexp.MustCompile(`^http://127\.0\.0\.1:[1-9][0-9]*\n$`).Match(out) {
		t.Fatalf("the example printed %q (%v):\n%s", out, err, strings.Join(lines, "\n"))
	}
}
