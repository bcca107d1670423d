package login

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/verify"
)

// tokenServer is a token endpoint that answers every request with body
// (JSON), recording the requests' forms.
type tokenServer struct {
	*httptest.Server
	mu    sync.Mutex
	forms []url.Values
}

func newTokenServer(t *testing.T, status int, body string) *tokenServer {
	ts := &tokenServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		ts.mu.Lock()
		ts.forms = append(ts.forms, r.PostForm)
		ts.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) requests() []url.Values {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]url.Values(nil), ts.forms...)
}

// cacheFiles lists the token cache's entries.
func cacheFiles(t *testing.T, c *Cache) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(c.Dir, "*.json"))
	return m
}

// RFC 6749 §A.12, §A.13 and OIDC Core §3.1.3.3: access_token and
// refresh_token are 1*VSCHAR, an id_token is a JWT (base64url and dots).
// A server that sends anything else (terminal escapes, bidi controls,
// spaces, line breaks) is refused: the token is printed on stdout as it is.
func TestTokensThatAreNotPlainStringsAreRefused(t *testing.T) {
	t.Parallel()
	good := `"access_token":"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.","token_type":"Bearer","expires_in":3600`
	cases := []struct {
		name, body, field string
	}{
		{"an OSC 52 clipboard write in the access token", `{"access_token":"abc\u001b]52;c;ZWNobyBwd25lZA==\u0007","token_type":"Bearer"}`, "access_token"},
		{"a CSI sequence in the access token", `{"access_token":"\u001b[2J\u001b[Habc","token_type":"Bearer"}`, "access_token"},
		{"a bidi override in the ID token", `{` + good + `,"id_token":"eyJ\u202eabc.def.ghi"}`, "id_token"},
		{"a line break in the ID token", `{` + good + `,"id_token":"abc\ndef"}`, "id_token"},
		{"a space in the refresh token", `{` + good + `,"refresh_token":"rt rt"}`, "refresh_token"},
		{"a C1 control in the refresh token", `{` + good + `,"refresh_token":"rt\u009b31m"}`, "refresh_token"},
		{"non-ASCII in the access token", `{"access_token":"tökén","token_type":"Bearer"}`, "access_token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := newTokenServer(t, 200, tc.body)
			c, _, _ := newClient(t, nil)
			tok, err := c.Login(context.Background(), &Request{TokenEndpoint: ts.URL + "/token", ClientID: "ci", ClientSecret: "s", Grant: GrantClientCredentials})
			var se *ServerError
			if !errors.As(err, &se) || tok != nil {
				t.Fatalf("got %+v, err %T %v; want a ServerError", tok, err, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.field) || !strings.Contains(msg, "not a plain token") {
				t.Errorf("message %q does not say which token is wrong", msg)
			}
			for _, bad := range []string{"\x1b", "\u202e", "\n", "\u009b", "rt rt", "ZWNobyBwd25lZA"} {
				if strings.Contains(msg, bad) {
					t.Errorf("message %q holds the server's token (%q)", msg, bad)
				}
			}
			if files := cacheFiles(t, c.Cache); len(files) != 0 {
				t.Errorf("the refused token was cached: %v", files)
			}
		})
	}
	t.Run("plain tokens of every common shape are taken", func(t *testing.T) {
		t.Parallel()
		for _, at := range []string{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "gho_16C7e42F292c6912E7710c838347Ae178B4a", "ya29.a0AfH6SM~bz+/w==", "2YotnFZFEjr1zCsicMWpAA"} {
			ts := newTokenServer(t, 200, fmt.Sprintf(`{"access_token":%q,"token_type":"Bearer","expires_in":60,"refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA"}`, at))
			c, _, _ := newClient(t, nil)
			tok, err := c.Login(context.Background(), &Request{TokenEndpoint: ts.URL, ClientID: "ci", ClientSecret: "s", Grant: GrantClientCredentials})
			if err != nil || tok.AccessToken != at {
				t.Errorf("%s: %v %+v", at, err, tok)
			}
		}
	})
}

// plant writes a cache entry the way an older jwtrace (or anyone) could
// have left it, with a fresh expiry.
func plant(t *testing.T, dir string, req *Request, access string) string {
	t.Helper()
	key := CacheKey(req)
	b, err := json.Marshal(map[string]any{
		"key":   key,
		"login": map[string]any{"client_id": req.ClientID, "grant": req.Grant},
		"token": map[string]any{"access_token": access, "id_token": access, "expiry": time.Now().Add(time.Hour), "source": "login"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, key+".json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestACachedTokenThatIsNotPlainIsRefused(t *testing.T) {
	t.Parallel()
	c, cnt, _ := newClient(t, nil)
	req := &Request{TokenEndpoint: "https://idp.example/token", DeviceEndpoint: "https://idp.example/device", ClientID: "cli", Grant: GrantDevice, NoPrompt: true}
	p := plant(t, c.Cache.Dir, req, "abc\x1b]0;pwned\x07")
	tok, err := c.Login(context.Background(), req)
	if err == nil || tok != nil {
		t.Fatalf("got %+v, %v; want the planted token refused", tok, err)
	}
	if msg := err.Error(); !strings.Contains(msg, p) || strings.Contains(msg, "\x1b") || !strings.Contains(msg, "jwtrace logout") {
		t.Errorf("message %q: want the file named, what to do, and no raw escapes", msg)
	}
	if n := cnt.count(""); n != 0 {
		t.Errorf("%d requests", n)
	}
}

// The cache key must cover everything that decides where the token (and
// its refresh token) goes and what it is for: a token cached for one
// token endpoint must never be refreshed at another.
func TestTheCacheKeyCoversEveryInput(t *testing.T) {
	base := func() *Request {
		return &Request{Authority: "https://a.example", TokenEndpoint: "https://a.example/token", DeviceEndpoint: "https://a.example/device",
			ClientID: "cli", Grant: GrantDevice, Scopes: []string{"openid", "api"}, Audience: "aud", Resource: "res", Params: url.Values{"p": {"1"}}}
	}
	variants := map[string]func(r *Request){
		"another token endpoint":         func(r *Request) { r.TokenEndpoint = "https://b.example/token" },
		"no token endpoint":              func(r *Request) { r.TokenEndpoint = "" },
		"another device endpoint":        func(r *Request) { r.DeviceEndpoint = "https://b.example/device" },
		"another authority":              func(r *Request) { r.Authority = "https://b.example" },
		"another client":                 func(r *Request) { r.ClientID = "other" },
		"another grant":                  func(r *Request) { r.Grant = GrantClientCredentials },
		"more scopes":                    func(r *Request) { r.Scopes = append(r.Scopes, "admin") },
		"scopes joined differently":      func(r *Request) { r.Scopes = []string{"openid api"} },
		"another audience":               func(r *Request) { r.Audience = "other" },
		"another resource":               func(r *Request) { r.Resource = "other" },
		"another param":                  func(r *Request) { r.Params = url.Values{"p": {"2"}} },
		"a param value with a comma":     func(r *Request) { r.Params = url.Values{"p": {"1,2"}} },
		"two param values":               func(r *Request) { r.Params = url.Values{"p": {"1", "2"}} },
		"a param with an ampersand":      func(r *Request) { r.Params = url.Values{"p": {"1&q=2"}} },
		"the audience moved to resource": func(r *Request) { r.Audience, r.Resource = "", "aud" },
	}
	want := CacheKey(base())
	same := base()
	same.Scopes = []string{"api", "openid"}
	same.Authority += "/"
	if got := CacheKey(same); got != want {
		t.Errorf("scopes in another order or a trailing slash changed the key")
	}
	seen := map[string]string{}
	for name, change := range variants {
		r := base()
		change(r)
		k := CacheKey(r)
		if k == want {
			t.Errorf("%s: same cache key", name)
		}
		if other, ok := seen[k]; ok {
			t.Errorf("%s and %s: same cache key", name, other)
		}
		seen[k] = name
	}
}

func TestARefreshTokenNeverGoesToAnotherTokenEndpoint(t *testing.T) {
	clock := authoritytest.NewClock(time.Now())
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"), authoritytest.WithClock(clock))
	c, _, _ := newClient(t, clock.Now)
	req := func() *Request {
		return &Request{Authority: srv.Issuer, ClientID: authority.DefaultPublicClient, Scopes: []string{"offline_access"}}
	}
	if _, err := c.Login(context.Background(), req()); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour) // the cached token needs a refresh
	other := newTokenServer(t, 400, `{"error":"invalid_grant"}`)
	r := req()
	r.TokenEndpoint, r.NoPrompt = other.URL+"/token", true
	_, err := c.Login(context.Background(), r)
	for _, f := range other.requests() {
		if f.Get("refresh_token") != "" {
			t.Fatalf("the refresh token of %s was sent to %s", srv.Issuer, other.URL)
		}
	}
	var de *DeniedError
	if !errors.As(err, &de) || de.Code != "login_required" {
		t.Fatalf("err %v, want login_required", err)
	}
}

// Issue 17: a wrong client secret was answered from the cache.
func TestAChangedClientSecretMissesTheCache(t *testing.T) {
	srv := authoritytest.Start(t)
	c, cnt, _ := newClient(t, nil)
	req := func(secret string) *Request {
		return &Request{Authority: srv.Issuer, ClientID: authority.DefaultServiceClient, ClientSecret: secret, Grant: GrantClientCredentials}
	}
	first, err := c.Login(context.Background(), req(authority.DefaultServiceSecret))
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Login(context.Background(), req(authority.DefaultServiceSecret))
	if err != nil || again.Source != "cache" || again.AccessToken != first.AccessToken {
		t.Fatalf("the same secret did not hit the cache: %v %+v", err, again)
	}
	before := cnt.count("/token")
	tok, err := c.Login(context.Background(), req("wrong"))
	var se *ServerError
	if !errors.As(err, &se) || se.Code != "invalid_client" || tok != nil {
		t.Fatalf("a wrong secret: %+v, err %v; want the server's invalid_client", tok, err)
	}
	if cnt.count("/token") != before+1 {
		t.Error("the wrong secret was not sent to the server")
	}
	for _, p := range cacheFiles(t, c.Cache) {
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), authority.DefaultServiceSecret) {
			t.Errorf("%s holds the client secret", p)
		}
	}
	// The right secret still finds its token.
	if again, err := c.Login(context.Background(), req(authority.DefaultServiceSecret)); err != nil || again.Source != "cache" {
		t.Fatalf("%v %+v", err, again)
	}
}

// A token or device endpoint that redirects elsewhere would take the POST
// body (refresh token, client secret, device code) with it on 307 and 308.
func TestTokenEndpointRedirectsStayOnTheSameOrigin(t *testing.T) {
	t.Parallel()
	elsewhere := newTokenServer(t, 200, `{"access_token":"stolen","token_type":"Bearer"}`)
	var home *httptest.Server
	home = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/token-307":
			http.Redirect(w, r, elsewhere.URL+"/token", http.StatusTemporaryRedirect)
		case "/device-308":
			http.Redirect(w, r, elsewhere.URL+"/device", http.StatusPermanentRedirect)
		case "/moved":
			http.Redirect(w, r, "/token", http.StatusPermanentRedirect)
		case "/token":
			r.ParseForm()
			if r.PostForm.Get("grant_type") != "client_credentials" {
				http.Error(w, "no body", 400)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"access_token":"home-token","token_type":"Bearer"}`)
		}
	}))
	t.Cleanup(home.Close)
	hostA, hostB := strings.TrimPrefix(home.URL, "http://"), strings.TrimPrefix(elsewhere.URL, "http://")
	for _, tc := range []struct {
		name string
		req  *Request
	}{
		{"a 307 from the token endpoint", &Request{TokenEndpoint: home.URL + "/token-307", ClientID: "ci", ClientSecret: "s3cret", Grant: GrantClientCredentials}},
		{"a 308 from the device endpoint", &Request{TokenEndpoint: home.URL + "/token", DeviceEndpoint: home.URL + "/device-308", ClientID: "cli", ClientSecret: "s3cret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := newClient(t, nil)
			tok, err := c.Login(context.Background(), tc.req)
			if err == nil || tok != nil {
				t.Fatalf("got %+v; want the redirect refused", tok)
			}
			var fe *verify.FetchError
			if !errors.As(err, &fe) {
				t.Errorf("err %T, want a FetchError (exit 3)", err)
			}
			if msg := err.Error(); !strings.Contains(msg, hostA) || !strings.Contains(msg, hostB) || !strings.Contains(msg, "redirect") {
				t.Errorf("message %q does not name both hosts", msg)
			}
		})
	}
	if n := len(elsewhere.requests()); n != 0 {
		t.Fatalf("the other host got %d requests", n)
	}
	t.Run("a redirect on the same origin is followed", func(t *testing.T) {
		c, _, _ := newClient(t, nil)
		tok, err := c.Login(context.Background(), &Request{TokenEndpoint: home.URL + "/moved", ClientID: "ci", ClientSecret: "s", Grant: GrantClientCredentials})
		if err != nil || tok.AccessToken != "home-token" {
			t.Fatalf("%v %+v", err, tok)
		}
	})
}

// The discovery cache refuses a directory or file others could write; the
// token cache does too, since a planted entry is a token jwtrace prints.
func TestTheTokenCacheMustBePrivate(t *testing.T) {
	req := &Request{TokenEndpoint: "https://idp.example/token", DeviceEndpoint: "https://idp.example/device", ClientID: "cli", Grant: GrantDevice, NoPrompt: true}
	cases := []struct {
		name  string
		setup func(t *testing.T, dir, file string)
		want  string
	}{
		{"a directory others can write", func(t *testing.T, dir, file string) { chmod(t, dir, 0o777) }, "chmod 700"},
		{"a directory the group can write", func(t *testing.T, dir, file string) { chmod(t, dir, 0o770) }, "chmod 700"},
		{"a file others can write", func(t *testing.T, dir, file string) { chmod(t, file, 0o666) }, "chmod 600"},
		{"a file the group can read", func(t *testing.T, dir, file string) { chmod(t, file, 0o640) }, "chmod 600"},
		{"a directory of another user", func(t *testing.T, dir, file string) { chown(t, dir) }, "chown"},
		{"a file of another user", func(t *testing.T, dir, file string) { chown(t, file) }, "chown"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, cnt, _ := newClient(t, nil)
			file := plant(t, c.Cache.Dir, req, "planted-token")
			tc.setup(t, c.Cache.Dir, file)
			tok, err := c.Login(context.Background(), req)
			if tok != nil {
				t.Fatalf("got the planted token %+v", tok)
			}
			var ce *CacheError
			if !errors.As(err, &ce) {
				t.Fatalf("err %T %v, want a CacheError", err, err)
			}
			msg := err.Error()
			for _, want := range []string{c.Cache.Dir, tc.want, "JWTRACE_CACHE_DIR"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
			if cnt.count("") != 0 {
				t.Error("requests were made")
			}
			if _, err := c.Cache.Clear(nil); !errors.As(err, &ce) {
				t.Errorf("logout in that directory: %v, want a CacheError", err)
			}
		})
	}
	t.Run("written files are private and renamed into place", func(t *testing.T) {
		c := &Cache{Dir: filepath.Join(t.TempDir(), "tokens")}
		if err := c.PutLogin("k", CacheLogin{ClientID: "a"}, &Token{AccessToken: "x"}); err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(c.Dir)
		for _, e := range entries {
			fi, _ := e.Info()
			if strings.HasPrefix(e.Name(), ".tmp") {
				t.Errorf("a temporary file was left: %s", e.Name())
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v", e.Name(), fi.Mode())
			}
		}
	})
}

func chmod(t *testing.T, p string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

// chown gives p to uid 65534 (nobody), which needs root: the test is
// skipped elsewhere.
func chown(t *testing.T, p string) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("giving a file to another user needs root")
	}
	if err := os.Chown(p, 65534, 65534); err != nil {
		t.Skipf("cannot chown: %v", err)
	}
}

// Server text goes into error messages; a line break there would add a
// line of the server's choosing to stderr.
func TestServerTextIsShownOnOneLine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body, want string
		status           int
	}{
		{"error_description", `{"error":"invalid_client","error_description":"bad\nSigned in as admin"}`, `bad\x0aSigned in as admin`, 401},
		{"error", `{"error":"invalid_client\r\nSigned in as admin"}`, `invalid_client\x0d\x0aSigned in as admin`, 400},
		{"error_uri", `{"error":"invalid_client","error_uri":"https://x.example/\nSigned in as admin"}`, `https://x.example/\x0aSigned in as admin`, 400},
		{"a denial's description", `{"error":"access_denied","error_description":"no\nSigned in as admin"}`, `no\x0aSigned in as admin`, 400},
		{"a body that is not an OAuth error", "<html>\n<h1>Bad\u001b[31m</h1>\nSigned in as admin</html>", `Signed in as admin`, 500},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := newTokenServer(t, tc.status, tc.body)
			c, _, _ := newClient(t, nil)
			_, err := c.Login(context.Background(), &Request{TokenEndpoint: ts.URL, ClientID: "ci", ClientSecret: "s", Grant: GrantClientCredentials})
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r\x1b") || !strings.Contains(msg, tc.want) {
				t.Fatalf("message %q: want one line holding %q", msg, tc.want)
			}
		})
	}
}

func TestAClientWithoutAnHTTPClientIsRefused(t *testing.T) {
	t.Parallel()
	ts := newTokenServer(t, 200, `{"access_token":"x","token_type":"Bearer"}`)
	c := &Client{}
	tok, err := c.Login(context.Background(), &Request{TokenEndpoint: ts.URL, ClientID: "ci", ClientSecret: "s", Grant: GrantClientCredentials})
	if err == nil || tok != nil || !strings.Contains(err.Error(), "HTTP client") {
		t.Fatalf("%+v %v; want a clear error", tok, err)
	}
	if n := len(ts.requests()); n != 0 {
		t.Fatalf("%d requests without jwtrace's network rules", n)
	}
}

// A cache directory that cannot be made costs only the reuse, as before:
// nothing can be planted in a directory that does not exist.
func TestACacheDirectoryThatCannotBeMadeIsSkipped(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ts := newTokenServer(t, 200, `{"access_token":"x","token_type":"Bearer"}`)
	c, _, _ := newClient(t, nil)
	c.Cache = &Cache{Dir: filepath.Join(file, "tokens")}
	if tok, err := c.Login(context.Background(), &Request{TokenEndpoint: ts.URL, ClientID: "ci", ClientSecret: "s", Grant: GrantClientCredentials}); err != nil || tok.AccessToken != "x" {
		t.Fatalf("%v %+v", err, tok)
	}
}
