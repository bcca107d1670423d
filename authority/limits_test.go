package authority_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
)

// serveForm posts form to path of h directly (no network), as Host host,
// and returns the status and the decoded JSON body.
func serveForm(t *testing.T, h http.Handler, host, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest("POST", "http://"+host+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Errorf("POST %s: %d, body not JSON: %q", path, w.Code, w.Body)
	}
	return w.Code, m
}

// TestConcurrentPollsOfOneDeviceCode is for go test -race: several
// devices polling one code at once, every poll too fast, so each one
// raises the interval that the others read for their slow_down message.
func TestConcurrentPollsOfOneDeviceCode(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	a, err := authority.New(authority.Config{URL: "http://127.0.0.1:9400", PollInterval: time.Second, DeviceCodeTTL: time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	h := a.Handler()
	_, da := serveForm(t, h, "127.0.0.1:9400", "/device_authorization", url.Values{"client_id": {"jwtrace"}})
	poll := url.Values{"grant_type": {authority.GrantDeviceCode}, "device_code": {da["device_code"].(string)}, "client_id": {"jwtrace"}}
	msg := regexp.MustCompile(`^polled faster than every (\S+); the interval is now (\S+)$`)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 25 {
				code, body := serveForm(t, h, "127.0.0.1:9400", "/token", poll)
				if body["error"] == "authorization_pending" {
					continue // the very first poll
				}
				m := msg.FindStringSubmatch(body["error_description"].(string))
				if code != 400 || body["error"] != "slow_down" || m == nil {
					t.Errorf("%d %v", code, body)
					return
				}
				was, err1 := time.ParseDuration(m[1])
				is, err2 := time.ParseDuration(m[2])
				if err1 != nil || err2 != nil || is != was+5*time.Second {
					t.Errorf("inconsistent slow_down message: %s", m[0])
				}
			}
		})
	}
	wg.Wait()
}

// deviceLogin runs an auto-approved device login and returns the refresh
// token.
func deviceLogin(t *testing.T, srv *authoritytest.Server) string {
	t.Helper()
	code, _, da := post(t, srv.DeviceAuthURL, url.Values{"client_id": {"jwtrace"}}, "", "")
	if code != 200 {
		t.Fatalf("device authorization: %d %v", code, da)
	}
	code, _, tok := post(t, srv.TokenURL, url.Values{"grant_type": {authority.GrantDeviceCode}, "device_code": {da["device_code"].(string)}, "client_id": {"jwtrace"}}, "", "")
	rt, _ := tok["refresh_token"].(string)
	if code != 200 || rt == "" {
		t.Fatalf("token: %d %v", code, tok)
	}
	return rt
}

func refresh(t *testing.T, srv *authoritytest.Server, rt string) (int, map[string]any) {
	t.Helper()
	code, _, body := post(t, srv.TokenURL, url.Values{"grant_type": {authority.GrantRefreshToken}, "refresh_token": {rt}, "client_id": {"jwtrace"}}, "", "")
	return code, body
}

// At the cap, a new refresh grant forgets the oldest one.
func TestRefreshGrantsAreCapped(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"))
	authority.SetLimits(srv.Authority, 100, 3)
	var rts []string
	for range 5 {
		rts = append(rts, deviceLogin(t, srv))
	}
	if _, n := authority.Pending(srv.Authority); n != 3 {
		t.Errorf("%d refresh grants kept, want the cap, 3", n)
	}
	for i, rt := range rts[:2] {
		if code, body := refresh(t, srv, rt); code != 400 || body["error"] != "invalid_grant" {
			t.Errorf("refresh token %d (forgotten): %d %v", i+1, code, body)
		}
	}
	for i, rt := range rts[2:] {
		// Each use rotates: the new token replaces the old one, still 3.
		if code, body := refresh(t, srv, rt); code != 200 {
			t.Errorf("refresh token %d: %d %v", i+3, code, body)
		}
	}
	if _, n := authority.Pending(srv.Authority); n != 3 {
		t.Errorf("%d refresh grants kept after rotation, want 3", n)
	}
}

// Expired device codes do not count toward the cap, so a burst of
// abandoned device authorizations cannot lock the device flow out once
// they expire; and they are kept only long enough to answer expired_token.
func TestExpiredDeviceCodesDoNotCountTowardTheCap(t *testing.T) {
	t.Parallel()
	clock := authoritytest.NewClock(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	srv := authoritytest.Start(t, authoritytest.WithClock(clock))
	authority.SetLimits(srv.Authority, 3, 100)
	start := func() (int, map[string]any) {
		code, _, body := post(t, srv.DeviceAuthURL, url.Values{"client_id": {"jwtrace"}}, "", "")
		return code, body
	}
	for range 3 {
		if code, body := start(); code != 200 {
			t.Fatalf("%d %v", code, body)
		}
	}
	if code, body := start(); code != 503 || body["error"] != "temporarily_unavailable" {
		t.Fatalf("over the cap: %d %v, want 503 temporarily_unavailable", code, body)
	}
	clock.Advance(10 * time.Minute) // all three expire
	if code, body := start(); code != 200 {
		t.Fatalf("after the codes expired: %d %v, want 200", code, body)
	}
	if n, _ := authority.Pending(srv.Authority); n > 3 {
		t.Errorf("%d device codes kept, more than the cap", n)
	}
}

func TestExpiredDeviceCodesAreKeptAFewMinutes(t *testing.T) {
	t.Parallel()
	clock := authoritytest.NewClock(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	srv := authoritytest.Start(t, authoritytest.WithClock(clock))
	authority.SetLimits(srv.Authority, 3, 100)
	_, _, da := post(t, srv.DeviceAuthURL, url.Values{"client_id": {"jwtrace"}}, "", "")
	poll := func() (int, any) {
		code, _, body := post(t, srv.TokenURL, url.Values{"grant_type": {authority.GrantDeviceCode}, "device_code": {da["device_code"].(string)}, "client_id": {"jwtrace"}}, "", "")
		return code, body["error"]
	}
	clock.Advance(10 * time.Minute)
	post(t, srv.DeviceAuthURL, url.Values{"client_id": {"jwtrace"}}, "", "") // sweeps
	if code, e := poll(); code != 400 || e != "expired_token" {
		t.Errorf("just expired: %d %v, want expired_token", code, e)
	}
	clock.Advance(5 * time.Minute)
	post(t, srv.DeviceAuthURL, url.Values{"client_id": {"jwtrace"}}, "", "") // sweeps
	if code, e := poll(); code != 400 || e != "invalid_grant" {
		t.Errorf("expired 5 minutes ago: %d %v, want invalid_grant (forgotten)", code, e)
	}
	if n, _ := authority.Pending(srv.Authority); n != 2 {
		t.Errorf("%d device codes kept, want the 2 unexpired", n)
	}
}

// Claims configured for a user or client cannot override the registered
// claims the authority sets in access tokens.
func TestConfiguredClaimsCannotOverrideRegisteredOnes(t *testing.T) {
	t.Parallel()
	forged := map[string]any{
		"iss": "https://evil.example", "sub": "root", "aud": "api://everything",
		"exp": 4102444800.0, "nbf": 0.0, "iat": 0.0, "jti": "fixed",
		"client_id": "admin", "scope": "admin", "scp": "admin", "auth_time": 0.0,
		"roles": []any{"reader"},
	}
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"), authoritytest.WithConfig(func(c *authority.Config) {
		c.Clients = []authority.Client{{ID: "jwtrace"}, {ID: "svc", Secret: "s", Claims: forged}}
		c.Users = []authority.User{{Subject: "alice", Claims: forged}}
	}))
	check := func(t *testing.T, c map[string]any, sub, client string) {
		t.Helper()
		if c["iss"] != srv.Issuer || c["sub"] != sub || c["aud"] != authority.DefaultAudience || c["client_id"] != client || c["jti"] == "fixed" {
			t.Errorf("iss, sub, aud, client_id or jti overridden: %v", c)
		}
		exp, _ := c["exp"].(float64)
		iat, _ := c["iat"].(float64)
		nbf, _ := c["nbf"].(float64)
		if iat == 0 || nbf != iat || exp != iat+3600 {
			t.Errorf("exp, iat or nbf overridden: %v", c)
		}
		if c["scope"] != "openid" || c["scp"] != nil {
			t.Errorf("scope claims overridden: %v", c)
		}
		if c["roles"] == nil {
			t.Errorf("other configured claims are lost: %v", c)
		}
	}
	t.Run("user claims in a device login", func(t *testing.T) {
		_, _, da := post(t, srv.DeviceAuthURL, url.Values{"client_id": {"jwtrace"}, "scope": {"openid"}}, "", "")
		code, _, tok := post(t, srv.TokenURL, url.Values{"grant_type": {authority.GrantDeviceCode}, "device_code": {da["device_code"].(string)}, "client_id": {"jwtrace"}}, "", "")
		if code != 200 {
			t.Fatalf("%d %v", code, tok)
		}
		c := verify(t, srv, tok["access_token"].(string))
		check(t, c, "alice", "jwtrace")
		// auth_time is when alice approved, at most a moment before the
		// token was issued (the two can fall either side of a second), and
		// never the configured 0.
		at, _ := c["auth_time"].(float64)
		if iat, _ := c["iat"].(float64); at == 0 || at > iat || at < iat-60 {
			t.Errorf("auth_time overridden: %v", c)
		}
		if ic := verify(t, srv, tok["id_token"].(string)); ic["iss"] != srv.Issuer || ic["sub"] != "alice" || ic["aud"] != "jwtrace" {
			t.Errorf("id token: %v", ic)
		}
	})
	t.Run("client claims with client credentials", func(t *testing.T) {
		code, _, tok := post(t, srv.TokenURL, url.Values{"grant_type": {authority.GrantClientCredentials}, "scope": {"openid"}}, "svc", "s")
		if code != 200 {
			t.Fatalf("%d %v", code, tok)
		}
		c := verify(t, srv, tok["access_token"].(string))
		check(t, c, "svc", "svc")
		if c["auth_time"] != nil {
			t.Errorf("auth_time in a client credentials token: %v", c)
		}
	})
}
