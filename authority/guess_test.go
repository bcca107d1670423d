package authority_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
)

// wrongCode is a well-formed user code no device was given (the user-code
// alphabet has no vowels, and the authority's codes come from crypto/rand).
const wrongCode = "BBBB-BBBB"

// lookUp opens the confirm step for code from ip, as a browser does with
// verification_uri_complete, and returns the status and Retry-After.
func lookUp(h http.Handler, ip, code string) (int, string, string) {
	req := httptest.NewRequest("GET", "http://127.0.0.1:9400/device?user_code="+url.QueryEscape(code), nil)
	req.RemoteAddr = ip + ":50000"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code, w.Header().Get("Retry-After"), w.Body.String()
}

// RFC 8628 section 5.1: user codes must be protected against brute force.
// After MaxWrongUserCodes wrong codes from one address within
// UserCodeWindow, that address gets 429 with Retry-After, even for the right
// code, until the window ends.
func TestDevicePageLimitsWrongUserCodesPerAddress(t *testing.T) {
	t.Parallel()
	clock := authoritytest.NewClock(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	a, err := authority.New(authority.Config{URL: "http://127.0.0.1:9400", DeviceCodeTTL: time.Hour, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	h := a.Handler()
	_, da := serveForm(t, h, "127.0.0.1:9400", "/device_authorization", url.Values{"client_id": {"jwtrace"}})
	right := da["user_code"].(string)
	if code, _, body := lookUp(h, "10.0.0.1", right); code != 200 || !strings.Contains(body, "Approve") {
		t.Fatalf("the right code before any guess: %d", code)
	}
	for i := range authority.MaxWrongUserCodes {
		if code, _, _ := lookUp(h, "10.0.0.1", wrongCode); code != 400 {
			t.Fatalf("wrong code %d: %d, want 400", i+1, code)
		}
	}
	code, retry, body := lookUp(h, "10.0.0.1", right)
	if code != http.StatusTooManyRequests || !strings.Contains(body, "Too many wrong codes") {
		t.Fatalf("the right code after %d wrong ones: %d, want 429\n%s", authority.MaxWrongUserCodes, code, body)
	}
	if s, err := strconv.Atoi(retry); err != nil || s <= 0 || time.Duration(s)*time.Second > authority.UserCodeWindow {
		t.Errorf("Retry-After %q, want the seconds left of the window", retry)
	}
	if strings.Contains(body, "Approve") {
		t.Error("a limited address still sees the confirm step")
	}
	// POST is limited the same way: a limited address cannot approve.
	w := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "http://127.0.0.1:9400/device", strings.NewReader(url.Values{"user_code": {right}, "action": {"approve"}, "user": {"alice"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = "10.0.0.1:50001"
	h.ServeHTTP(w, req)
	if w.Code != http.StatusTooManyRequests && w.Code != http.StatusForbidden {
		t.Errorf("POST from a limited address: %d", w.Code)
	}
	// Another address is not limited by this one's guesses.
	if code, _, _ := lookUp(h, "10.0.0.2", right); code != 200 {
		t.Errorf("another address: %d, want 200", code)
	}
	// Still limited just before the window ends; free after it.
	s, _ := strconv.Atoi(retry)
	clock.Advance(time.Duration(s)*time.Second - time.Second)
	if code, _, _ := lookUp(h, "10.0.0.1", right); code != http.StatusTooManyRequests {
		t.Errorf("a second before Retry-After: %d, want 429", code)
	}
	clock.Advance(time.Second)
	if code, _, body := lookUp(h, "10.0.0.1", right); code != 200 || !strings.Contains(body, "Approve") {
		t.Errorf("after Retry-After: %d, want 200 and the confirm step", code)
	}
}

// Guesses spread over many addresses are limited too: after
// MaxWrongUserCodesTotal wrong codes in a window, every address waits.
func TestDevicePageLimitsWrongUserCodesOverall(t *testing.T) {
	t.Parallel()
	clock := authoritytest.NewClock(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	a, err := authority.New(authority.Config{URL: "http://127.0.0.1:9400", DeviceCodeTTL: 2 * time.Hour, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	h := a.Handler()
	_, da := serveForm(t, h, "127.0.0.1:9400", "/device_authorization", url.Values{"client_id": {"jwtrace"}})
	right := da["user_code"].(string)
	for i := range authority.MaxWrongUserCodesTotal {
		ip := "10.1." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250+1)
		if code, _, _ := lookUp(h, ip, wrongCode); code != 400 {
			t.Fatalf("wrong code %d from %s: %d, want 400", i+1, ip, code)
		}
	}
	code, retry, _ := lookUp(h, "192.0.2.7", right)
	if code != http.StatusTooManyRequests || retry == "" {
		t.Fatalf("a fresh address after %d wrong codes overall: %d (Retry-After %q), want 429", authority.MaxWrongUserCodesTotal, code, retry)
	}
	clock.Advance(authority.UserCodeWindow)
	if code, _, _ := lookUp(h, "192.0.2.7", right); code != 200 {
		t.Errorf("after the window: %d, want 200", code)
	}
}

// Malformed input and the right code do not count as wrong guesses.
func TestDevicePageCountsOnlyWrongCodes(t *testing.T) {
	t.Parallel()
	clock := authoritytest.NewClock(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	a, err := authority.New(authority.Config{URL: "http://127.0.0.1:9400", Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	h := a.Handler()
	_, da := serveForm(t, h, "127.0.0.1:9400", "/device_authorization", url.Values{"client_id": {"jwtrace"}})
	for range 2 * authority.MaxWrongUserCodes {
		lookUp(h, "10.0.0.1", "not a code")
		lookUp(h, "10.0.0.1", da["user_code"].(string))
	}
	if code, _, _ := lookUp(h, "10.0.0.1", da["user_code"].(string)); code != 200 {
		t.Errorf("%d, want 200", code)
	}
}
