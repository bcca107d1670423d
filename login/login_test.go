package login

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/verify"
)

// counter counts the requests a client makes, by path.
type counter struct {
	mu    sync.Mutex
	paths map[string]int
	base  http.RoundTripper
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.paths[r.URL.Path]++
	c.mu.Unlock()
	return c.base.RoundTrip(r)
}

func (c *counter) count(suffix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for p, k := range c.paths {
		if strings.HasSuffix(p, suffix) {
			n += k
		}
	}
	return n
}

// newClient makes a login client with a counting transport, a token cache
// in a temporary directory and the given clock.
func newClient(t *testing.T, now func() time.Time) (*Client, *counter, *[]Prompt) {
	cnt := &counter{paths: map[string]int{}, base: http.DefaultTransport}
	hc := &http.Client{Transport: cnt, Timeout: 5 * time.Second}
	var prompts []Prompt
	c := &Client{
		HTTP:    hc,
		Fetcher: &verify.Fetcher{Client: hc},
		Cache:   &Cache{Dir: t.TempDir() + "/tokens"}, // made 0700 by the cache; TempDir is 0755
		Now:     now,
	}
	c.Prompt = func(p Prompt) { prompts = append(prompts, p) }
	// The poll loop waits on no real timer: each wait is recorded (see
	// sleeps) and moves the clock when the test has one.
	c.Sleep = func(ctx context.Context, d time.Duration) error {
		return ctx.Err()
	}
	return c, cnt, &prompts
}

func claimsOf(t *testing.T, tok string) *decode.Object {
	t.Helper()
	d, err := decode.Parse(tok, "t", decode.Options{Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return d.Claims
}

func TestDeviceLoginWithTheProjectsAuthority(t *testing.T) {
	clock := authoritytest.NewClock(time.Now())
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"), authoritytest.WithClock(clock))
	c, cnt, prompts := newClient(t, clock.Now)
	req := func() *Request {
		return &Request{Authority: srv.Issuer, ClientID: authority.DefaultPublicClient, Scopes: []string{"openid", "offline_access"}}
	}

	tok, err := c.Login(context.Background(), req())
	if err != nil {
		t.Fatal(err)
	}
	if len(*prompts) != 1 || (*prompts)[0].UserCode == "" || !strings.HasPrefix((*prompts)[0].VerificationURIComplete, srv.URL) {
		t.Fatalf("prompts %+v", *prompts)
	}
	if tok.Source != "login" || tok.IDToken == "" || tok.RefreshToken == "" {
		t.Fatalf("token %+v", tok)
	}
	if sub, _ := claimsOf(t, tok.AccessToken).String("sub"); sub != "alice" {
		t.Fatalf("sub %q", sub)
	}

	t.Run("a second login reuses the cached token without a request", func(t *testing.T) {
		before := cnt.count("/token") + cnt.count("/device_authorization")
		again, err := c.Login(context.Background(), req())
		if err != nil || again.Source != "cache" || again.AccessToken != tok.AccessToken {
			t.Fatalf("%v %+v", err, again)
		}
		if after := cnt.count("/token") + cnt.count("/device_authorization"); after != before {
			t.Fatalf("%d more requests", after-before)
		}
	})
	t.Run("scopes in another order hit the same cache entry", func(t *testing.T) {
		r := req()
		r.Scopes = []string{"offline_access", "openid"}
		again, err := c.Login(context.Background(), r)
		if err != nil || again.Source != "cache" {
			t.Fatalf("%v %+v", err, again)
		}
	})
	t.Run("an expired token is refreshed with its refresh token", func(t *testing.T) {
		clock.Advance(2 * time.Hour)
		refreshed, err := c.Login(context.Background(), req())
		if err != nil || refreshed.Source != "refresh" || refreshed.AccessToken == tok.AccessToken {
			t.Fatalf("%v %+v", err, refreshed)
		}
		if len(*prompts) != 1 {
			t.Fatal("refreshing asked the person again")
		}
	})
	t.Run("--force logs in again", func(t *testing.T) {
		r := req()
		r.Force = true
		if again, err := c.Login(context.Background(), r); err != nil || again.Source != "login" || len(*prompts) != 2 {
			t.Fatalf("%v %+v", err, again)
		}
	})
}

func TestDeviceLoginDeniedAndExpired(t *testing.T) {
	t.Run("a person denies on the device page", func(t *testing.T) {
		srv := authoritytest.Start(t)
		c, _, _ := newClient(t, nil)
		c.Prompt = func(p Prompt) { authoritytest.Decide(t, p.VerificationURIComplete, "deny", "alice") }
		_, err := c.Login(context.Background(), &Request{Authority: srv.Issuer, ClientID: authority.DefaultPublicClient})
		var de *DeniedError
		if !errors.As(err, &de) || de.Code != "access_denied" {
			t.Fatalf("err %v", err)
		}
		if !strings.Contains(err.Error(), "the login was denied") {
			t.Errorf("message %q", err)
		}
	})
	t.Run("a person approves on the device page", func(t *testing.T) {
		srv := authoritytest.Start(t)
		c, _, _ := newClient(t, nil)
		c.Prompt = func(p Prompt) { authoritytest.Decide(t, p.VerificationURIComplete, "approve", "alice") }
		tok, err := c.Login(context.Background(), &Request{Authority: srv.Issuer, ClientID: authority.DefaultPublicClient})
		if err != nil || tok.AccessToken == "" {
			t.Fatalf("%v %+v", err, tok)
		}
	})
	t.Run("nobody approves before the code expires", func(t *testing.T) {
		clock := authoritytest.NewClock(time.Now())
		srv := authoritytest.Start(t, authoritytest.WithClock(clock))
		c, _, _ := newClient(t, nil)
		c.Prompt = func(p Prompt) { clock.Advance(time.Hour) }
		_, err := c.Login(context.Background(), &Request{Authority: srv.Issuer, ClientID: authority.DefaultPublicClient})
		var de *DeniedError
		if !errors.As(err, &de) || de.Code != "expired_token" {
			t.Fatalf("err %v", err)
		}
	})
}

func TestClientCredentials(t *testing.T) {
	srv := authoritytest.Start(t)
	c, cnt, prompts := newClient(t, nil)
	req := &Request{Authority: srv.Issuer, ClientID: authority.DefaultServiceClient, ClientSecret: authority.DefaultServiceSecret,
		Grant: GrantClientCredentials, Audience: "api://orders"}
	tok, err := c.Login(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(*prompts) != 0 || cnt.count("/device_authorization") != 0 {
		t.Fatal("client credentials asked a person")
	}
	cl := claimsOf(t, tok.AccessToken)
	if aud, _ := cl.Get("aud"); !strings.Contains(string(aud), "api://orders") {
		t.Fatalf("aud %s", aud)
	}
	t.Run("a wrong secret is the server's invalid_client", func(t *testing.T) {
		bad := *req
		bad.ClientSecret, bad.Force = "wrong", true
		_, err := c.Login(context.Background(), &bad)
		var se *ServerError
		if !errors.As(err, &se) || se.Code != "invalid_client" || se.Status != http.StatusUnauthorized {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("no secret is a usage error", func(t *testing.T) {
		bad := *req
		bad.ClientSecret = ""
		var ce *ConfigError
		if _, err := c.Login(context.Background(), &bad); !errors.As(err, &ce) {
			t.Fatalf("err %v", err)
		}
	})
}

// scripted is a device-flow server whose token endpoint answers from a
// list, recording when each poll came.
type scripted struct {
	*httptest.Server
	device  string // the device authorization response body
	devType string
	answers []func(w http.ResponseWriter)
	mu      sync.Mutex
	polls   []time.Time
	noDisco bool
}

func newScripted(t *testing.T, s *scripted) *scripted {
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			d := map[string]string{"issuer": s.URL, "jwks_uri": s.URL + "/keys", "token_endpoint": s.URL + "/token"}
			if !s.noDisco {
				d["device_authorization_endpoint"] = s.URL + "/device"
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q,"token_endpoint":%q,"device_authorization_endpoint":%q}`, d["issuer"], d["jwks_uri"], d["token_endpoint"], d["device_authorization_endpoint"])
		case "/device":
			ct := s.devType
			if ct == "" {
				ct = "application/json"
			}
			w.Header().Set("Content-Type", ct)
			io.WriteString(w, s.device)
		case "/token":
			r.ParseForm()
			if r.PostForm.Get("device_code") != "dc-1" {
				http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
				return
			}
			s.mu.Lock()
			n := len(s.polls)
			s.polls = append(s.polls, time.Now())
			s.mu.Unlock()
			if n >= len(s.answers) {
				n = len(s.answers) - 1
			}
			s.answers[n](w)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func oauthError(code string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":%q}`, code)
	}
}

func success(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"access_token":"opaque-access","token_type":"Bearer","expires_in":3600}`)
}

const deviceJSON = `{"device_code":"dc-1","user_code":"WDJB-MJHT","verification_uri":"https://example.com/device","verification_uri_complete":"https://example.com/device?user_code=WDJB-MJHT","expires_in":900,"interval":1}`

func TestPollingHonoursSlowDown(t *testing.T) {
	t.Parallel()
	s := newScripted(t, &scripted{device: deviceJSON, answers: []func(http.ResponseWriter){oauthError("authorization_pending"), oauthError("slow_down"), success}})
	c, _, _ := newClient(t, nil)
	c.Cache = nil
	w := recordSleeps(c, nil)
	tok, err := c.Login(context.Background(), &Request{Authority: s.URL, ClientID: "cli"})
	if err != nil || tok.AccessToken != "opaque-access" {
		t.Fatalf("%v %+v", err, tok)
	}
	if len(s.polls) != 3 {
		t.Fatalf("%d polls", len(s.polls))
	}
	if got := w.get(); fmt.Sprint(got) != "[1s 1s 6s]" {
		t.Fatalf("waits %v; want the interval (1s) before each poll, then 5s more after slow_down", got)
	}
}

func TestProviderQuirks(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		s       *scripted
		wantErr string
	}{
		{"verification_url instead of verification_uri, no complete URL, numbers as strings",
			&scripted{device: `{"device_code":"dc-1","user_code":"ABCD","verification_url":"https://www.google.com/device","expires_in":"1800","interval":"1"}`,
				answers: []func(http.ResponseWriter){success}}, ""},
		{"a form-encoded device response and token response (GitHub)",
			&scripted{device: "device_code=dc-1&user_code=ABCD-1234&verification_uri=https%3A%2F%2Fgithub.com%2Flogin%2Fdevice&expires_in=900&interval=1", devType: "application/x-www-form-urlencoded",
				answers: []func(http.ResponseWriter){func(w http.ResponseWriter) {
					w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
					io.WriteString(w, "access_token=gho_opaque&token_type=bearer&scope=repo")
				}}}, ""},
		{"expires_in as a string in the token response",
			&scripted{device: deviceJSON, answers: []func(http.ResponseWriter){func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"access_token":"opaque-access","token_type":"Bearer","expires_in":"3600"}`)
			}}}, ""},
		{"a discovery document without a device endpoint",
			&scripted{device: deviceJSON, noDisco: true, answers: []func(http.ResponseWriter){success}}, "give --device-endpoint URL"},
		{"a device response without a user code",
			&scripted{device: `{"device_code":"dc-1","verification_uri":"https://example.com/device"}`, answers: []func(http.ResponseWriter){success}}, "lacks device_code, user_code or verification_uri"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newScripted(t, tc.s)
			c, _, prompts := newClient(t, nil)
			tok, err := c.Login(context.Background(), &Request{Authority: s.URL, ClientID: "cli"})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || tok.AccessToken == "" {
				t.Fatalf("%v %+v", err, tok)
			}
			if p := (*prompts)[0]; p.VerificationURI == "" || p.UserCode == "" {
				t.Fatalf("prompt %+v", p)
			}
			if strings.HasPrefix(tc.name, "expires_in as a string") && (tok.Expiry.IsZero() || time.Until(tok.Expiry) < 59*time.Minute) {
				t.Fatalf("expiry %v", tok.Expiry)
			}
		})
	}
}

func TestNetworkErrorsBackOff(t *testing.T) {
	t.Parallel()
	var drops atomic.Int64
	s := &scripted{device: deviceJSON, answers: []func(http.ResponseWriter){success}}
	s = newScripted(t, s)
	// A proxy in front of the token endpoint that drops the first poll's
	// connection.
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" && drops.Add(1) == 1 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		r.URL.Scheme, r.URL.Host = "http", strings.TrimPrefix(s.URL, "http://")
		resp, err := http.DefaultTransport.RoundTrip(r.Clone(r.Context()))
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(front.Close)
	c, _, _ := newClient(t, nil)
	tok, err := c.Login(context.Background(), &Request{DeviceEndpoint: front.URL + "/device", TokenEndpoint: front.URL + "/token", ClientID: "cli"})
	if err != nil || tok.AccessToken != "opaque-access" || drops.Load() != 2 {
		t.Fatalf("%v %+v, %d token requests", err, tok, drops.Load())
	}
}

func TestAHangingServerIsCancelled(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	c, _, _ := newClient(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Login(ctx, &Request{DeviceEndpoint: srv.URL + "/device", TokenEndpoint: srv.URL + "/token", ClientID: "cli"})
	if err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
	var ne net.Error
	if !errors.Is(err, context.DeadlineExceeded) && !errors.As(err, &ne) {
		t.Logf("err %T %v", err, err)
	}
}

func TestCacheFilesArePrivate(t *testing.T) {
	c := &Cache{Dir: t.TempDir() + "/tokens"}
	if err := c.PutLogin("k", CacheLogin{ClientID: "a"}, &Token{AccessToken: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := c.PutLogin("k2", CacheLogin{ClientID: "b"}, &Token{AccessToken: "y"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{c.Dir, c.path("k")} {
		fi, err := osStat(p)
		if err != nil {
			t.Fatal(err)
		}
		want := "-rw-------"
		if fi.IsDir() {
			want = "drwx------"
		}
		if fi.Mode().String() != want {
			t.Errorf("%s: mode %s, want %s", p, fi.Mode(), want)
		}
	}
	if n, err := c.Clear(func(l CacheLogin) bool { return l.ClientID == "a" }); n != 1 || err != nil {
		t.Fatalf("cleared %d, %v", n, err)
	}
	if e, _ := c.load("k"); e != nil {
		t.Fatal("k survived logout")
	}
	if e, _ := c.load("k2"); e == nil {
		t.Fatal("k2 was removed")
	}
}

var osStat = os.Stat

func TestA502WhilePollingIsRetried(t *testing.T) {
	t.Parallel()
	s := newScripted(t, &scripted{device: deviceJSON, answers: []func(http.ResponseWriter){
		func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html>bad gateway</html>")
		}, success}})
	c, _, _ := newClient(t, nil)
	tok, err := c.Login(context.Background(), &Request{Authority: s.URL, ClientID: "cli"})
	if err != nil || tok.AccessToken != "opaque-access" || len(s.polls) != 2 {
		t.Fatalf("%v %+v, %d polls", err, tok, len(s.polls))
	}
}

func TestLogoutRemovesOnlyCacheEntries(t *testing.T) {
	c := &Cache{Dir: t.TempDir() + "/tokens"}
	if err := os.Mkdir(c.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.Dir+"/design-tokens.json", []byte(`{"color":"red"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.PutLogin("k", CacheLogin{ClientID: "a"}, &Token{AccessToken: "x"}); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Clear(nil); n != 1 || err != nil {
		t.Fatalf("removed %d, %v", n, err)
	}
	if _, err := os.Stat(c.Dir + "/design-tokens.json"); err != nil {
		t.Fatal("logout removed a file that is not a cache entry")
	}
}

func TestAFailedRefreshIsReportedNotHidden(t *testing.T) {
	clock := authoritytest.NewClock(time.Now())
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"), authoritytest.WithClock(clock))
	c, _, _ := newClient(t, clock.Now)
	req := func() *Request {
		return &Request{TokenEndpoint: srv.TokenURL, DeviceEndpoint: srv.DeviceAuthURL, ClientID: authority.DefaultPublicClient, Scopes: []string{"offline_access"}}
	}
	if _, err := c.Login(context.Background(), req()); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	// The token endpoint is unreachable: the refresh fails with a network
	// error, which token must report, not turn into "log in again".
	c.HTTP = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return nil, errors.New("connection refused")
	})}
	r := req()
	r.NoPrompt = true
	_, err := c.Login(context.Background(), r)
	var fe *verify.FetchError
	if !errors.As(err, &fe) {
		t.Fatalf("err %T %v, want a fetch error", err, err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestExpiryFromTheJWTWhenTheResponseHasNone(t *testing.T) {
	srv := authoritytest.Start(t)
	jwt := srv.Mint(t, map[string]any{"sub": "svc", "aud": "x"})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer"}`, jwt)
	}))
	defer ts.Close()
	c, _, _ := newClient(t, nil)
	tok, err := c.Login(context.Background(), &Request{TokenEndpoint: ts.URL + "/token", ClientID: "svc", ClientSecret: "s", Grant: GrantClientCredentials})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Expiry.IsZero() || time.Until(tok.Expiry) < 50*time.Minute {
		t.Fatalf("expiry %v", tok.Expiry)
	}
}

// A confidential device client authenticates with HTTP Basic when it polls
// (zitadel takes nothing else at its token endpoint, and RFC 6749 §2.3.1
// says every server must take it), and with its secret in the body of the
// device authorization request, which x/oauth2 sends without auth.
func TestConfidentialDeviceClientUsesBasic(t *testing.T) {
	t.Parallel()
	var polls int
	mux := http.NewServeMux()
	var srvURL string
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":"%s/jwks","token_endpoint":"%s/token","device_authorization_endpoint":"%s/device"}`, srvURL, srvURL, srvURL, srvURL)
	})
	mux.HandleFunc("/device", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("client_id") != "device" || r.PostFormValue("client_secret") != "s3cret" {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":"invalid_client"}`)
			return
		}
		io.WriteString(w, `{"device_code":"dc","user_code":"ABCD","verification_uri":"https://example.com/device","expires_in":60,"interval":1}`)
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		polls++
		w.Header().Set("Content-Type", "application/json")
		id, secret, ok := r.BasicAuth()
		if !ok || id != "device" || secret != "s3cret" || r.PostFormValue("client_secret") != "" {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":"invalid_client","error_description":"confidential client requires authentication"}`)
			return
		}
		io.WriteString(w, `{"access_token":"opaque-access","token_type":"Bearer","expires_in":3600}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	srvURL = srv.URL
	c, _, _ := newClient(t, nil)
	tok, err := c.Login(context.Background(), &Request{Authority: srv.URL, ClientID: "device", ClientSecret: "s3cret"})
	if err != nil || tok.AccessToken != "opaque-access" || polls != 1 {
		t.Fatalf("%v %+v after %d polls", err, tok, polls)
	}
}
