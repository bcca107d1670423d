package authority_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"

	"github.com/jwtrace/jwtrace/internal/syncbuf"
)

// A page on another name that resolves to 127.0.0.1 (DNS rebinding) must
// not reach the device flow or the approval page: its requests carry its
// own Host.
func TestRequestsForAnotherHostAreMisdirected(t *testing.T) {
	t.Parallel()
	log := &syncbuf.Buffer{}
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"), authoritytest.WithConfig(func(c *authority.Config) { c.Log = log }))
	port := strings.TrimPrefix(srv.URL, "http://127.0.0.1:")
	send := func(t *testing.T, method, path, host string) (int, http.Header, string) {
		t.Helper()
		var body io.Reader
		if method == "POST" {
			body = strings.NewReader(url.Values{"client_id": {"jwtrace"}, "grant_type": {authority.GrantClientCredentials}}.Encode())
		}
		req, _ := http.NewRequest(method, srv.URL+path, body)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	requests := []struct{ method, path string }{
		{"GET", "/device"},
		{"POST", "/device"},
		{"POST", "/device_authorization"},
		{"POST", "/token"},
		{"GET", "/.well-known/openid-configuration"},
	}
	for _, host := range []string{"rebind.attacker.example", "rebind.attacker.example:" + port, "127.0.0.1.nip.io:" + port} {
		for _, r := range requests {
			code, h, body := send(t, r.method, r.path, host)
			if code != http.StatusMisdirectedRequest || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") || !strings.HasPrefix(body, "421 misdirected request") {
				t.Errorf("%s %s, Host %q: %d %s %q, want 421 in plain text", r.method, r.path, host, code, h.Get("Content-Type"), body)
			}
		}
	}
	if !strings.Contains(log.String(), "POST /token 421 misdirected host=rebind.attacker.example:"+port) {
		t.Errorf("421 not logged:\n%s", log)
	}
	// Loopback names and addresses, with any port, and the URL's own host.
	for _, host := range []string{"localhost:" + port, "LOCALHOST", "127.0.0.1:" + port, "127.0.0.2:1", "[::1]:" + port, "[::1]"} {
		if code, _, body := send(t, "POST", "/device_authorization", host); code != 200 {
			t.Errorf("POST /device_authorization, Host %q: %d %s", host, code, body)
		}
		if code, _, body := send(t, "GET", "/device", host); code != 200 {
			t.Errorf("GET /device, Host %q: %d %s", host, code, body)
		}
	}
}

func TestHostMustMatchTheURL(t *testing.T) {
	t.Parallel()
	a, err := authority.New(authority.Config{URL: "https://Auth.Example.com", Issuer: "https://login.example.com/tenant/v2.0"})
	if err != nil {
		t.Fatal(err)
	}
	h := a.Handler()
	for host, want := range map[string]int{
		"auth.example.com":       200,
		"auth.example.com:443":   200,
		"AUTH.example.com.":      200,
		"auth.example.com:80":    421,
		"login.example.com":      421,
		"evil.auth.example.com":  421,
		"localhost:9400":         200,
		"127.0.0.1":              200,
		"[::1]:443":              200,
		"[::ffff:127.0.0.1]:443": 200,
		"10.0.0.1:443":           421,
		"":                       421,
	} {
		req := httptest.NewRequest("GET", "https://auth.example.com/tenant/v2.0/.well-known/openid-configuration", nil)
		req.Host = host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != want {
			t.Errorf("Host %q: %d, want %d", host, w.Code, want)
		}
	}
	// Without a URL, the endpoints follow each request's Host: every Host
	// is answered.
	a, err = authority.New(authority.Config{})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "http://anything.example/.well-known/openid-configuration", nil)
	w := httptest.NewRecorder()
	a.Handler().ServeHTTP(w, req)
	if w.Code != 200 {
		t.Errorf("no URL: %d", w.Code)
	}
}
