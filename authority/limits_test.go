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
