package login

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/verify"
)

// waits records the poll loop's waits.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) get() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

// recordSleeps makes c's waits instant, recorded, and moving clock (when
// not nil) as a real wait would.
func recordSleeps(c *Client, clock *authoritytest.Clock) *waits {
	w := &waits{}
	c.Sleep = func(ctx context.Context, d time.Duration) error {
		w.mu.Lock()
		w.d = append(w.d, d)
		w.mu.Unlock()
		if clock != nil {
			clock.Advance(d)
		}
		return ctx.Err()
	}
	return w
}

func answer(status int, body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// RFC 8628 §3.4-3.5, each case a script of token endpoint answers.
func TestDevicePollLoopFollowsRFC8628(t *testing.T) {
	t.Parallel()
	pending, slowDown := oauthError("authorization_pending"), oauthError("slow_down")
	bad502 := answer(http.StatusBadGateway, "<html>bad gateway</html>")
	cases := []struct {
		name     string
		device   string
		answers  []func(http.ResponseWriter)
		waits    string
		denied   string // the DeniedError code wanted, "" for a token
		errText  string // another error wanted
		retries  []string
		maxPolls int
	}{
		{name: "authorization_pending polls again at the interval",
			answers: []func(http.ResponseWriter){pending, pending, success}, waits: "[1s 1s 1s]"},
		{name: "slow_down adds 5 seconds for this and every later poll",
			answers: []func(http.ResponseWriter){slowDown, pending, slowDown, success}, waits: "[1s 6s 6s 11s]"},
		{name: "access_denied ends the login",
			answers: []func(http.ResponseWriter){pending, oauthError("access_denied")}, waits: "[1s 1s]", denied: "access_denied"},
		{name: "expired_token ends the login",
			answers: []func(http.ResponseWriter){pending, oauthError("expired_token")}, waits: "[1s 1s]", denied: "expired_token"},
		{name: "an error member in a 200 answer is an error (GitHub)",
			answers: []func(http.ResponseWriter){answer(200, `{"error":"authorization_pending"}`), success}, waits: "[1s 1s]"},
		{name: "no interval means 5 seconds (§3.2)",
			device:  `{"device_code":"dc-1","user_code":"WDJB-MJHT","verification_uri":"https://example.com/device","expires_in":900}`,
			answers: []func(http.ResponseWriter){pending, success}, waits: "[5s 5s]"},
		{name: "a 502 is retried with backoff and reported",
			answers: []func(http.ResponseWriter){bad502, bad502, success}, waits: "[1s 2s 4s]", retries: []string{"answered 502 (1 of 5, next in 2s)", "answered 502 (2 of 5, next in 4s)"}},
		{name: "a pending answer resets the backoff",
			answers: []func(http.ResponseWriter){bad502, pending, success}, waits: "[1s 2s 1s]", retries: []string{"answered 502 (1 of 5, next in 2s)"}},
		{name: "too many failed polls in a row give up",
			answers: []func(http.ResponseWriter){bad502}, waits: "[1s 2s 4s]", maxPolls: 3, errText: "gave up after 3 failed polls in a row: answered 502",
			retries: []string{"answered 502 (1 of 3, next in 2s)", "answered 502 (2 of 3, next in 4s)"}},
		{name: "the code's expiry ends the login without waiting past it",
			device:  `{"device_code":"dc-1","user_code":"WDJB-MJHT","verification_uri":"https://example.com/device","expires_in":12,"interval":5}`,
			answers: []func(http.ResponseWriter){pending}, waits: "[5s 5s 2s]", denied: "expired_token"},
		{name: "invalid_grant is the server's answer, not retried",
			answers: []func(http.ResponseWriter){answer(400, `{"error":"invalid_grant","error_description":"bad code"}`)}, waits: "[1s]", errText: "invalid_grant: bad code"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dev := tc.device
			if dev == "" {
				dev = deviceJSON
			}
			s := newScripted(t, &scripted{device: dev, answers: tc.answers})
			clock := authoritytest.NewClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
			c, _, _ := newClient(t, clock.Now)
			c.Cache = nil
			c.MaxPollErrors = tc.maxPolls
			w := recordSleeps(c, clock)
			var retries []string
			c.Retry = func(e RetryEvent) {
				retries = append(retries, fmt.Sprintf("%s (%d of %d, next in %s)", e.Reason, e.Attempt, e.Max, e.Wait))
			}
			tok, err := c.Login(context.Background(), &Request{Authority: s.URL, ClientID: "cli"})
			if got := fmt.Sprint(w.get()); got != tc.waits {
				t.Errorf("waits %s, want %s", got, tc.waits)
			}
			if fmt.Sprint(retries) != fmt.Sprint(tc.retries) {
				t.Errorf("retries %q, want %q", retries, tc.retries)
			}
			var de *DeniedError
			switch {
			case tc.denied != "":
				if !errors.As(err, &de) || de.Code != tc.denied {
					t.Fatalf("err %v, want %s", err, tc.denied)
				}
			case tc.errText != "":
				if err == nil || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("err %v, want %q", err, tc.errText)
				}
			default:
				if err != nil || tok.AccessToken != "opaque-access" {
					t.Fatalf("%v %+v", err, tok)
				}
			}
		})
	}
}

// With the authority gone while a person approves, the errors are told as
// they happen, and the login ends with a network error (exit 3).
func TestAnUnreachableAuthorityIsReportedAndGivenUp(t *testing.T) {
	t.Parallel()
	s := newScripted(t, &scripted{device: deviceJSON, answers: []func(http.ResponseWriter){success}})
	// Port 1: nothing listens there, and unlike a closed ephemeral port no
	// server of a parallel test can take it.
	deadURL := "http://127.0.0.1:1"
	c, _, _ := newClient(t, nil)
	w := recordSleeps(c, nil)
	var reasons []string
	c.Retry = func(e RetryEvent) { reasons = append(reasons, e.Reason) }
	_, err := c.Login(context.Background(), &Request{DeviceEndpoint: s.URL + "/device", TokenEndpoint: deadURL + "/token", ClientID: "cli"})
	var fe *verify.FetchError
	var gu *PollGiveUpError
	if !errors.As(err, &fe) || !errors.As(err, &gu) || gu.Attempts != DefaultMaxPollErrors {
		t.Fatalf("err %T %v", err, err)
	}
	if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("message %q", err)
	}
	if len(reasons) != DefaultMaxPollErrors-1 || reasons[0] != "connection refused" {
		t.Errorf("retries told %q", reasons)
	}
	if got := fmt.Sprint(w.get()); got != "[1s 2s 4s 8s 16s]" {
		t.Errorf("waits %s", got)
	}
}

// Cancelling (Ctrl-C) while waiting ends the loop at once.
func TestCancellingStopsThePollLoop(t *testing.T) {
	t.Parallel()
	s := newScripted(t, &scripted{device: deviceJSON, answers: []func(http.ResponseWriter){oauthError("authorization_pending")}})
	c, _, _ := newClient(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	c.Sleep = func(ctx context.Context, d time.Duration) error {
		if n++; n == 3 {
			cancel()
		}
		return ctx.Err()
	}
	_, err := c.Login(ctx, &Request{Authority: s.URL, ClientID: "cli"})
	if !errors.Is(err, context.Canceled) || len(s.polls) != 2 {
		t.Fatalf("err %v after %d polls", err, len(s.polls))
	}
}
