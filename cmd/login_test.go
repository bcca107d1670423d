package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/internal/ui"
	"github.com/jwtrace/jwtrace/login"
)

// loginEnv runs login with its own cache directory.
func loginEnv(t *testing.T, extra ...string) *ui.Streams {
	return &ui.Streams{Env: append([]string{"TERM=dumb", "JWTRACE_CACHE_DIR=" + t.TempDir()}, extra...)}
}

func TestLoginDeviceFlowEndToEnd(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"))
	var opened []string
	withBrowser(t, func(u string) error { opened = append(opened, u); return nil })
	env := loginEnv(t)
	args := []string{"login", "--authority", srv.Issuer, "--client-id", authority.DefaultPublicClient, "--scope", "openid offline_access"}

	r := jwtrace(t, context.Background(), env, args...)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.errOut)
	}
	// stdout is the access token and nothing else.
	if !regexp.MustCompile(`^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$`).MatchString(r.out) {
		t.Fatalf("stdout is not just a token: %q", r.out)
	}
	for _, want := range []string{"To sign in, open  " + srv.URL, "and enter the code", "The browser was opened for you.", "Waiting for approval…", "Signed in as alice@example.com · aud "} {
		if !strings.Contains(r.errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.errOut)
		}
	}
	if len(opened) != 1 || !strings.Contains(opened[0], "user_code=") {
		t.Errorf("browser opened %v; want the complete verification URL", opened)
	}
	if strings.Contains(r.errOut, strings.TrimSpace(r.out)) {
		t.Error("the token was printed on stderr")
	}

	t.Run("the next login uses the cache and opens nothing", func(t *testing.T) {
		again := jwtrace(t, context.Background(), env, args...)
		if again.code != 0 || again.out != r.out || !strings.Contains(again.errOut, "Using the cached token as alice@example.com") || len(opened) != 1 {
			t.Fatalf("exit %d, same token %v\n%s", again.code, again.out == r.out, again.errOut)
		}
	})
	t.Run("--id-token prints the ID token", func(t *testing.T) {
		id := jwtrace(t, context.Background(), env, append(args, "--id-token")...)
		if id.code != 0 || id.out == r.out || !strings.HasPrefix(id.out, "eyJ") {
			t.Fatalf("exit %d %q", id.code, id.out)
		}
	})
	t.Run("--json has the response and decoded claims", func(t *testing.T) {
		j := jwtrace(t, context.Background(), env, append(args, "--json")...)
		var got struct {
			AccessToken  string         `json:"access_token"`
			IDToken      string         `json:"id_token"`
			Source       string         `json:"source"`
			ExpiresIn    int64          `json:"expires_in"`
			AccessClaims map[string]any `json:"access_token_claims"`
			IDClaims     map[string]any `json:"id_token_claims"`
		}
		if err := json.Unmarshal([]byte(j.out), &got); err != nil || j.code != 0 {
			t.Fatalf("%v\n%s", err, j.out)
		}
		if got.AccessToken+"\n" != r.out || got.Source != "cache" || got.AccessClaims["sub"] != "alice" || got.IDClaims["email"] != "alice@example.com" || got.ExpiresIn <= 0 {
			t.Errorf("%+v", got)
		}
	})
	t.Run("logout clears the cache, and login asks again", func(t *testing.T) {
		out := jwtrace(t, context.Background(), env, "logout")
		if out.code != 0 || !strings.Contains(out.errOut, "Removed 1 cached token.") {
			t.Fatalf("exit %d %q", out.code, out.errOut)
		}
		again := jwtrace(t, context.Background(), env, append(args, "--no-browser")...)
		if again.code != 0 || !strings.Contains(again.errOut, "Signed in as") || !strings.Contains(again.errOut, "(open it in a browser on any device)") || len(opened) != 1 {
			t.Fatalf("exit %d\n%s", again.code, again.errOut)
		}
	})
}

func TestLoginOpensOnlyWebURLs(t *testing.T) {
	t.Parallel()
	var opened []string
	open := func(u string) error { opened = append(opened, u); return nil }
	for _, u := range []string{"file:///etc/passwd", "javascript:alert(1)", "ms-settings:", "//no-scheme", "http://"} {
		if msg := browse(open, u); !strings.HasPrefix(msg, "Not opening a browser") {
			t.Errorf("%s: %s", u, msg)
		}
	}
	if len(opened) != 0 {
		t.Fatalf("opened %v", opened)
	}
	if msg := browse(open, "https://login.example.com/device?user_code=ABCD"); msg != "The browser was opened for you." || len(opened) != 1 {
		t.Fatalf("%s %v", msg, opened)
	}
	noDisplay := func(u string) error { return errors.New("no display") }
	if msg := browse(noDisplay, "https://login.example.com/device"); !strings.HasPrefix(msg, "Could not open a browser") {
		t.Fatal(msg)
	}
}

func TestConfidentialClientDeviceLogin(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"))
	withBrowser(t, func(string) error { return nil })
	r := jwtrace(t, context.Background(), loginEnv(t), "login", "--authority", srv.Issuer,
		"--client-id", authority.DefaultServiceClient, "--client-secret", authority.DefaultServiceSecret)
	if r.code != 0 || !strings.HasPrefix(r.out, "eyJ") {
		t.Fatalf("exit %d\n%s", r.code, r.errOut)
	}
	// A secret in the environment is for client credentials: a public
	// client's device login does not send it.
	r = jwtrace(t, context.Background(), loginEnv(t, "JWTRACE_CLIENT_SECRET=meant-for-another-job"), "login", "--authority", srv.Issuer,
		"--client-id", authority.DefaultPublicClient)
	if r.code != 0 {
		t.Fatalf("public client with an unrelated secret in the environment: exit %d\n%s", r.code, r.errOut)
	}
}

func TestTokenUsesTheCacheWithoutTheNetwork(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a, err := authority.New(authority.Config{URL: "http://" + ln.Addr().String(), AutoApprove: "alice", PollInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	withBrowser(t, func(string) error { return nil })
	env := loginEnv(t)
	args := []string{"--authority", a.Issuer(), "--client-id", authority.DefaultPublicClient}
	first := jwtrace(t, context.Background(), env, append([]string{"login"}, args...)...)
	if first.code != 0 {
		t.Fatalf("%s", first.errOut)
	}
	stop() // the authority goes away
	<-done
	r := jwtrace(t, context.Background(), env, append([]string{"token"}, args...)...)
	if r.code != 0 || r.out != first.out {
		t.Fatalf("exit %d\n%s", r.code, r.errOut)
	}
}

func TestLogoutWithoutACacheDirectory(t *testing.T) {
	t.Parallel()
	// No JWTRACE_CACHE_DIR, HOME or XDG_CACHE_HOME in the run's
	// environment: the process's is not looked at.
	r := jwtrace(t, context.Background(), &ui.Streams{Env: []string{"TERM=dumb"}}, "logout")
	if r.code != ExitUsage || !strings.Contains(r.errOut, "no cache directory") {
		t.Fatalf("exit %d %q", r.code, r.errOut)
	}
}

func TestLoginDeniedExitsFour(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t)
	withBrowser(t, func(u string) error { authoritytest.Decide(t, u, "deny", "alice"); return nil })
	r := jwtrace(t, context.Background(), loginEnv(t), "login", "--authority", srv.Issuer, "--client-id", authority.DefaultPublicClient)
	if r.code != ExitDenied || !strings.Contains(r.errOut, "jwtrace: the login was denied") || r.out != "" {
		t.Fatalf("exit %d, stdout %q\n%s", r.code, r.out, r.errOut)
	}
}

func TestTokenWithoutALoginExitsFour(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t)
	withBrowser(t, func(u string) error { t.Error("token opened a browser"); return nil })
	r := jwtrace(t, context.Background(), loginEnv(t), "token", "--authority", srv.Issuer, "--client-id", authority.DefaultPublicClient)
	if r.code != ExitDenied || !strings.Contains(r.errOut, "no cached token for this login") || r.out != "" {
		t.Fatalf("exit %d, stdout %q\n%s", r.code, r.out, r.errOut)
	}
}

func TestLoginTimeoutExitsThree(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t) // nobody approves
	r := jwtrace(t, context.Background(), loginEnv(t), "login", "--no-browser", "--timeout", "400ms", "--authority", srv.Issuer, "--client-id", authority.DefaultPublicClient)
	if r.code != ExitUnavailable || !strings.Contains(r.errOut, "no token after --timeout 400ms") {
		t.Fatalf("exit %d\n%s", r.code, r.errOut)
	}
}

func TestLoginInterruptedExits130(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	withBrowser(t, func(u string) error { cancel(); return nil }) // Ctrl-C while waiting
	r := jwtrace(t, ctx, loginEnv(t), "login", "--authority", srv.Issuer, "--client-id", authority.DefaultPublicClient)
	if r.code != ExitInterrupted || r.out != "" {
		t.Fatalf("exit %d, stdout %q\n%s", r.code, r.out, r.errOut)
	}
}

func TestLoginClientCredentials(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithClock(authoritytest.NewClock(fixedNow())))
	r := jwtrace(t, context.Background(), loginEnv(t, "JWTRACE_CLIENT_SECRET="+authority.DefaultServiceSecret),
		"login", "--grant", "client-credentials", "--authority", srv.Issuer, "--client-id", authority.DefaultServiceClient, "--audience", "api://orders")
	if r.code != 0 || !strings.HasPrefix(r.out, "eyJ") || !strings.Contains(r.errOut, "aud api://orders") {
		t.Fatalf("exit %d %q\n%s", r.code, r.out, r.errOut)
	}
	if strings.Contains(r.errOut, "enter the code") {
		t.Error("client credentials showed a device code")
	}
	// The token verifies against the same authority.
	v := jwtrace(t, context.Background(), verifyEnv(t), "verify", "--authority", srv.Issuer, "--audience", "api://orders", strings.TrimSpace(r.out))
	if v.code != 0 {
		t.Fatalf("verify: exit %d\n%s%s", v.code, v.out, v.errOut)
	}
}

func TestLoginExitCodes(t *testing.T) {
	t.Parallel()
	noDevice := httptest.NewServer(nil)
	noDevice.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": noDevice.URL, "jwks_uri": noDevice.URL + "/k", "token_endpoint": noDevice.URL + "/t"})
	})
	t.Cleanup(noDevice.Close)
	// Port 1: nothing listens there, and unlike a closed ephemeral port no
	// server of a parallel test can take it.
	deadURL := "http://127.0.0.1:1"
	srv := authoritytest.Start(t)
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no authority", []string{"--client-id", "x"}, ExitUsage, "no authority"},
		{"no client", []string{"--authority", srv.Issuer}, ExitUsage, "no client: give --client-id"},
		{"an unknown grant", []string{"--authority", srv.Issuer, "--client-id", "x", "--grant", "password"}, ExitUsage, "want device, auth-code or client-credentials"},
		{"client credentials without a secret", []string{"--authority", srv.Issuer, "--client-id", "x", "--grant", "client-credentials"}, ExitUsage, "JWTRACE_CLIENT_SECRET"},
		{"no device endpoint in discovery", []string{"--authority", noDevice.URL, "--client-id", "x"}, ExitUsage, "give --device-endpoint URL"},
		{"an authority that is down", []string{"--authority", deadURL, "--client-id", "x"}, ExitUnavailable, "is the authority running?"},
		{"an unknown client", []string{"--authority", srv.Issuer, "--client-id", "nobody"}, ExitUnavailable, "invalid_client"},
		{"a bad --param", []string{"--authority", srv.Issuer, "--client-id", "x", "--param", "novalue"}, ExitUsage, "want K=V"},
		{"plain http to another host", []string{"--authority", "http://idp.example.com", "--client-id", "x"}, ExitUsage, "refusing plain http://"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := jwtrace(t, context.Background(), loginEnv(t), append([]string{"login", "--no-browser"}, c.args...)...)
			if r.code != c.code || !strings.Contains(r.errOut, c.stderr) || r.out != "" {
				t.Fatalf("exit %d (want %d), stdout %q, stderr %q (want %q)", r.code, c.code, r.out, r.errOut, c.stderr)
			}
		})
	}
}

func TestLoginSummaryNamesTheAccessTokenKind(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 10, 50, 0, 0, time.UTC)
	exp := now.Add(5 * time.Minute)
	jwe := "eyJhbGciOiJBMjU2R0NNS1ciLCJlbmMiOiJBMjU2R0NNIn0.ZW5j.aXY.Y2lwaGVy.dGFn"
	for tok, want := range map[string]string{
		jwe:            "Signed in · expires in 5m · encrypted access token (JWE: only its issuer can read it)",
		"gho_16C7e42F": "Signed in · expires in 5m · opaque access token (not a JWT)",
	} {
		if got := loginSummary(&login.Token{AccessToken: tok, Expiry: exp, Source: "login"}, now); got != want {
			t.Errorf("%s:\n got %s\nwant %s", tok, got, want)
		}
	}
}
