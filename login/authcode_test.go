package login

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
)

// seen records the requests a client sends: path, Authorization header
// and form.
type seen struct {
	mu   sync.Mutex
	reqs []seenReq
	base http.RoundTripper
}

type seenReq struct {
	path, auth string
	form       url.Values
}

func (s *seen) RoundTrip(r *http.Request) (*http.Response, error) {
	sr := seenReq{path: r.URL.Path, auth: r.Header.Get("Authorization")}
	if r.Body != nil && r.Method == http.MethodPost {
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		sr.form, _ = url.ParseQuery(string(b))
		r.Body = io.NopCloser(strings.NewReader(string(b)))
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, sr)
	s.mu.Unlock()
	return s.base.RoundTrip(r)
}

func (s *seen) to(suffix string) []seenReq {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []seenReq
	for _, r := range s.reqs {
		if strings.HasSuffix(r.path, suffix) {
			out = append(out, r)
		}
	}
	return out
}

// watch makes c record its requests.
func watch(c *Client) *seen {
	s := &seen{base: c.HTTP.Transport}
	if s.base == nil {
		s.base = http.DefaultTransport
	}
	hc := *c.HTTP
	hc.Transport = s
	c.HTTP = &hc
	c.Fetcher.Client = &hc
	return s
}

// signInWith makes the browser a person who signs in (or denies) on the
// authority's page; the pages the redirect URI answered come on the
// channel.
func signInWith(t *testing.T, c *Client, action string) (chan string, *[]AuthPrompt) {
	pages := make(chan string, 1)
	var prompts []AuthPrompt
	c.Browse = func(p AuthPrompt) {
		prompts = append(prompts, p)
		go func() { pages <- authoritytest.SignIn(t, p.URL, action, "alice") }()
	}
	return pages, &prompts
}

func TestAuthCodeLoginWithTheProjectsAuthority(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t)
	c, _, _ := newClient(t, nil)
	sn := watch(c)
	pages, prompts := signInWith(t, c, "approve")
	req := &Request{Authority: srv.Issuer, ClientID: authority.DefaultPublicClient, Grant: GrantAuthCode, Scopes: []string{"openid", "offline_access"},
		LoginPrompt: "consent", LoginHint: "alice", Params: url.Values{"ui_locales": {"de"}}}
	tok, err := c.Login(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if tok.IDToken == "" || tok.RefreshToken == "" || tok.Source != "login" {
		t.Fatalf("%+v", tok)
	}
	if page := <-pages; !strings.Contains(page, "Signed in") || !strings.Contains(page, "You can close this tab") {
		t.Errorf("the browser showed %q", page)
	}
	au, _ := url.Parse((*prompts)[0].URL)
	q := au.Query()
	for k, want := range map[string]string{"response_type": "code", "code_challenge_method": "S256", "client_id": "jwtrace", "prompt": "consent", "login_hint": "alice", "ui_locales": "de", "scope": "openid offline_access"} {
		if q.Get(k) != want {
			t.Errorf("authorization request %s=%q, want %q", k, q.Get(k), want)
		}
	}
	if len(q.Get("code_challenge")) != 43 || len(q.Get("state")) < 22 || len(q.Get("nonce")) < 22 {
		t.Errorf("authorization request %v", q)
	}
	if ru, _ := url.Parse(q.Get("redirect_uri")); ru.Hostname() != "127.0.0.1" || ru.Port() == "" || ru.Path != "/callback" {
		t.Errorf("redirect_uri %q", q.Get("redirect_uri"))
	}
	posts := sn.to("/token")
	if len(posts) != 1 || posts[0].auth != "" || posts[0].form.Get("client_id") != "jwtrace" || len(posts[0].form.Get("code_verifier")) != 43 {
		t.Fatalf("token request %+v: a public client sends its client_id and verifier, no Basic", posts)
	}

	t.Run("the next login is the cached token", func(t *testing.T) {
		again, err := c.Login(context.Background(), &Request{Authority: srv.Issuer, ClientID: authority.DefaultPublicClient, Grant: GrantAuthCode, Scopes: []string{"openid", "offline_access"},
			LoginPrompt: "consent", LoginHint: "alice", Params: url.Values{"ui_locales": {"de"}}})
		if err != nil || again.Source != "cache" || len(*prompts) != 1 {
			t.Fatalf("%v %+v", err, again)
		}
	})
}

func TestAuthCodeDeniedIsADenial(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t)
	c, _, _ := newClient(t, nil)
	signInWith(t, c, "deny")
	_, err := c.Login(context.Background(), &Request{Authority: srv.Issuer, ClientID: authority.DefaultPublicClient, Grant: GrantAuthCode, Scopes: []string{"openid"}})
	var de *DeniedError
	if !errors.As(err, &de) || de.Code != "access_denied" || de.Description != "the user denied the request" {
		t.Fatalf("err %v", err)
	}
}

// fakeAuthorize is an authorization endpoint that answers every request
// with the redirect answer(q) builds from its query.
func fakeAuthorize(t *testing.T, answer func(q url.Values) url.Values) string {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		u, _ := url.Parse(q.Get("redirect_uri"))
		u.RawQuery = answer(q).Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}))
	t.Cleanup(s.Close)
	return s.URL + "/authorize"
}

// browseHTTP is a browser that follows redirects; the page it ends on
// comes on the channel.
func browseHTTP(c *Client) chan string {
	pages := make(chan string, 4)
	c.Browse = func(p AuthPrompt) {
		go func() {
			resp, err := http.Get(p.URL)
			if err != nil {
				pages <- err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			pages <- string(b)
		}()
	}
	return pages
}

func TestAuthCodeAnswersThatAreRefused(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"))
	other := authoritytest.Start(t)
	cases := []struct {
		name   string
		answer func(q url.Values) url.Values
		token  func(w http.ResponseWriter, r *http.Request) // a token endpoint, or nil for the authority's
		check  func(t *testing.T, err error)
	}{
		{name: "the server's error comes back as a denial, escaped on one line",
			answer: func(q url.Values) url.Values {
				return url.Values{"state": {q.Get("state")}, "error": {"access_denied"}, "error_description": {"Signed in as admin\n\x1b[2Jgo away"}}
			},
			check: func(t *testing.T, err error) {
				var de *DeniedError
				if !errors.As(err, &de) || de.Code != "access_denied" || strings.ContainsAny(err.Error(), "\n\x1b") || !strings.Contains(err.Error(), "go away") {
					t.Fatalf("err %q", err)
				}
			}},
		{name: "another issuer in the redirect is a mix-up (RFC 9207)",
			answer: func(q url.Values) url.Values {
				return url.Values{"state": {q.Get("state")}, "code": {"c"}, "iss": {"https://evil.example"}}
			},
			check: func(t *testing.T, err error) {
				var se *ServerError
				if !errors.As(err, &se) || !strings.Contains(err.Error(), "mix-up") {
					t.Fatalf("err %v", err)
				}
			}},
		{name: "an ID token with another nonce is refused",
			answer: func(q url.Values) url.Values { return url.Values{"state": {q.Get("state")}, "code": {"c"}} },
			token: func(w http.ResponseWriter, r *http.Request) {
				id := srv.Mint(t, map[string]any{"sub": "alice", "aud": authority.DefaultPublicClient, "nonce": "replayed"})
				fmt.Fprintf(w, `{"access_token":"at","token_type":"Bearer","expires_in":60,"id_token":%q}`, id)
			},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "nonce is not this login's") {
					t.Fatalf("err %v", err)
				}
			}},
		{name: "an ID token signed by another key is refused",
			answer: func(q url.Values) url.Values { return url.Values{"state": {q.Get("state")}, "code": {"c"}} },
			token: func(w http.ResponseWriter, r *http.Request) {
				id := other.Mint(t, map[string]any{"iss": srv.Issuer, "sub": "alice", "aud": authority.DefaultPublicClient, "nonce": "x"})
				fmt.Fprintf(w, `{"access_token":"at","token_type":"Bearer","expires_in":60,"id_token":%q}`, id)
			},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "the ID token was refused") {
					t.Fatalf("err %v", err)
				}
			}},
		{name: "an ID token for another client is refused",
			answer: func(q url.Values) url.Values { return url.Values{"state": {q.Get("state")}, "code": {"c"}} },
			token: func(w http.ResponseWriter, r *http.Request) {
				id := srv.Mint(t, map[string]any{"sub": "alice", "aud": "someone-else", "nonce": "x"})
				fmt.Fprintf(w, `{"access_token":"at","token_type":"Bearer","expires_in":60,"id_token":%q}`, id)
			},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "the ID token was refused") {
					t.Fatalf("err %v", err)
				}
			}},
		{name: "no ID token though openid was asked for",
			answer: func(q url.Values) url.Values { return url.Values{"state": {q.Get("state")}, "code": {"c"}} },
			token: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"access_token":"at","token_type":"Bearer","expires_in":60}`)
			},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "no id_token") {
					t.Fatalf("err %v", err)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _, _ := newClient(t, nil)
			c.Cache = nil
			pages := browseHTTP(c)
			req := &Request{Authority: srv.Issuer, ClientID: authority.DefaultPublicClient, Grant: GrantAuthCode, Scopes: []string{"openid"},
				AuthorizationEndpoint: fakeAuthorize(t, tc.answer)}
			if tc.token != nil {
				ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					tc.token(w, r)
				}))
				t.Cleanup(ts.Close)
				req.TokenEndpoint = ts.URL + "/token"
			}
			_, err := c.Login(context.Background(), req)
			tc.check(t, err)
			if page := <-pages; !strings.Contains(page, "Not signed in") || strings.Contains(page, "\x1b") {
				t.Errorf("the browser showed %q", page)
			}
		})
	}
}

// A request to the redirect URI without this login's state (another page
// guessing the port, a stale tab) is refused, and the login waits on.
func TestAForgedRedirectIsIgnored(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"))
	c, _, _ := newClient(t, nil)
	c.Cache = nil
	forged := make(chan string, 1)
	c.Browse = func(p AuthPrompt) {
		go func() {
			resp, err := http.Get(p.RedirectURI + "?code=attacker&state=guess")
			if err != nil {
				forged <- err.Error()
				return
			}
			resp.Body.Close()
			forged <- resp.Status
			authoritytest.SignIn(t, p.URL, "approve", "alice")
		}()
	}
	tok, err := c.Login(context.Background(), &Request{Authority: srv.Issuer, ClientID: authority.DefaultPublicClient, Grant: GrantAuthCode, Scopes: []string{"openid"}})
	if err != nil || tok.IDToken == "" {
		t.Fatalf("%v %+v", err, tok)
	}
	if got := <-forged; got != "400 Bad Request" {
		t.Fatalf("the forged redirect got %s", got)
	}
}

func TestAuthCodeRedirectOptions(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"))
	t.Run("localhost", func(t *testing.T) {
		c, _, _ := newClient(t, nil)
		c.Cache = nil
		_, prompts := signInWith(t, c, "approve")
		if _, err := c.Login(context.Background(), &Request{Authority: srv.Issuer, ClientID: authority.DefaultPublicClient, Grant: GrantAuthCode, RedirectHost: "localhost"}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix((*prompts)[0].RedirectURI, "http://localhost:") {
			t.Fatalf("redirect %s", (*prompts)[0].RedirectURI)
		}
	})
	t.Run("a registered redirect URI with its path", func(t *testing.T) {
		c, _, _ := newClient(t, nil)
		c.Cache = nil
		_, prompts := signInWith(t, c, "approve")
		if _, err := c.Login(context.Background(), &Request{Authority: srv.Issuer, ClientID: authority.DefaultPublicClient, Grant: GrantAuthCode, RedirectURI: "http://127.0.0.1:0/oauth/done"}); err != nil {
			t.Fatal(err)
		}
		if u, _ := url.Parse((*prompts)[0].RedirectURI); u.Path != "/oauth/done" || u.Port() == "0" {
			t.Fatalf("redirect %s", (*prompts)[0].RedirectURI)
		}
	})
	t.Run("a redirect URI off loopback is a usage error", func(t *testing.T) {
		c, _, _ := newClient(t, nil)
		signInWith(t, c, "approve")
		_, err := c.Login(context.Background(), &Request{Authority: srv.Issuer, ClientID: authority.DefaultPublicClient, Grant: GrantAuthCode, RedirectURI: "http://192.0.2.1:8080/cb"})
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "loopback") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("nobody signs in before the timeout", func(t *testing.T) {
		c, _, _ := newClient(t, nil)
		c.Browse = func(AuthPrompt) {}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := c.Login(ctx, &Request{Authority: srv.Issuer, ClientID: authority.DefaultPublicClient, Grant: GrantAuthCode})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v", err)
		}
	})
}
