package authority_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority"
)

// FuzzHandler sends arbitrary requests to every endpoint: the authority
// must never panic (the request log would say so) nor answer 500.
//
//	go test ./authority -run '^$' -fuzz FuzzHandler -fuzztime 1m
func FuzzHandler(f *testing.F) {
	seeds := []struct{ method, path, ctype, auth, body string }{
		{"POST", "/token", "application/x-www-form-urlencoded", "", "grant_type=client_credentials&client_id=jwtrace-service&client_secret=jwtrace-service-secret"},
		{"POST", "/token", "application/x-www-form-urlencoded", "Basic and0cmFjZS1zZXJ2aWNlOmp3dHJhY2Utc2VydmljZS1zZWNyZXQ=", "grant_type=client_credentials&resource=%00"},
		{"POST", "/token", "application/x-www-form-urlencoded", "Basic !!!", "grant_type=refresh_token&refresh_token=x&client_id=jwtrace"},
		{"POST", "/token", "application/x-www-form-urlencoded", "Basic Og==", "grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code=&client_id=jwtrace"},
		{"POST", "/token", "application/x-www-form-urlencoded; charset=%%", "", "%zz&&=;"},
		{"POST", "/token", "multipart/form-data; boundary=x", "", "--x\r\n"},
		{"POST", "/device_authorization", "application/x-www-form-urlencoded", "", "client_id=jwtrace&scope=openid%20%22&audience="},
		{"POST", "/device_authorization", "application/x-www-form-urlencoded", "", "client_id=jwtrace&resource=http://%zz"},
		{"GET", "/device?user_code=%00%ff", "", "", ""},
		{"POST", "/device", "application/x-www-form-urlencoded", "", "csrf=&user_code=BCDF-GHJK&action=approve&user=alice"},
		{"POST", "/device", "text/plain", "", "\xff\xfe"},
		{"DELETE", "/jwks.json", "", "", ""},
		{"GET", "/.well-known/openid-configuration/../../etc/passwd", "", "", ""},
		{"PUT", "/token", "", "Digest x", "x"},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.ctype, s.auth, s.body)
	}
	var log panicLog
	a, err := authority.New(authority.Config{URL: "http://127.0.0.1:9400", Log: &log, AutoApprove: "alice", PollInterval: time.Second})
	if err != nil {
		f.Fatal(err)
	}
	h := a.Handler()
	f.Fuzz(func(t *testing.T, method, path, ctype, auth, body string) {
		if !validMethod(method) || !strings.HasPrefix(path, "/") {
			return
		}
		req := httptest.NewRequest("GET", "http://127.0.0.1:9400/", strings.NewReader(body))
		req.Method = method
		req.URL.Path = path
		if i := strings.IndexByte(path, '?'); i >= 0 {
			req.URL.Path, req.URL.RawQuery = path[:i], path[i+1:]
		}
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 && w.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s %q: %d %s", method, path, w.Code, w.Body)
		}
		if line := log.panicked.Load(); line != nil {
			t.Fatalf("%s %q: %s", method, path, *line)
		}
	})
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, r := range m {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// panicLog remembers a log line that reports a panic.
type panicLog struct{ panicked atomic.Pointer[string] }

func (l *panicLog) Write(p []byte) (int, error) {
	if strings.Contains(string(p), " panic: ") {
		s := string(p)
		l.panicked.Store(&s)
	}
	return len(p), nil
}
