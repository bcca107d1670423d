package login

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/internal/netx"
	"github.com/jwtrace/jwtrace/verify"
)

// DefaultDeviceExpiry is assumed when a device authorization response has
// no expires_in.
const DefaultDeviceExpiry = 15 * time.Minute

// DefaultInterval is the poll interval when the device authorization
// response names none (RFC 8628 §3.2).
const DefaultInterval = 5 * time.Second

// DefaultMaxPollErrors is how many failed polls in a row (no answer, a
// 5xx, a 429) the device grant takes before it gives up.
const DefaultMaxPollErrors = 5

// maxBackoff bounds the wait after failed polls.
const maxBackoff = time.Minute

// RetryEvent is a failed poll that will be retried.
type RetryEvent struct {
	// Endpoint is the token endpoint.
	Endpoint string
	// Reason is what went wrong, short and on one line: "connection
	// refused", "answered 503".
	Reason string
	// Attempt counts the failures in a row, 1 to Max; after Max the login
	// gives up.
	Attempt, Max int
	// Wait is how long until the next poll.
	Wait time.Duration
	Err  error
}

// PollGiveUpError is a device login that stopped after too many failed
// polls in a row. It is a verify.FetchError inside (exit 3).
type PollGiveUpError struct {
	Attempts int
	Err      error
}

func (e *PollGiveUpError) Error() string {
	return fmt.Sprintf("gave up after %d failed polls in a row: %v", e.Attempts, e.Err)
}

func (e *PollGiveUpError) Unwrap() error { return e.Err }

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// deviceAuth is a device authorization response (RFC 8628 §3.2).
type deviceAuth struct {
	deviceCode, userCode, uri, uriComplete string
	expires                                time.Time
	interval                               time.Duration
}

// device runs the device authorization grant: ask for a code, show it,
// then poll (RFC 8628 §3.4-3.5): wait the interval before each poll,
// authorization_pending polls again, slow_down adds 5 seconds to the
// interval for this and every later poll, access_denied and expired_token
// end the login, and so does the code's expiry. A poll that gets no
// answer (or a 5xx or 429 without an OAuth error) is reported through
// Retry and retried with exponential backoff (§3.5: "SHOULD use
// exponential backoff"), at most MaxPollErrors times in a row.
func (c *Client) device(ctx context.Context, hc *http.Client, req *Request, eps Endpoints) (*Token, error) {
	if c.Prompt == nil {
		return nil, &ConfigError{"the device grant needs a prompt"}
	}
	da, err := c.deviceAuthorization(ctx, hc, req, eps)
	if err != nil {
		return nil, err
	}
	now := c.now()
	c.Prompt(Prompt{
		UserCode:                da.userCode,
		VerificationURI:         da.uri,
		VerificationURIComplete: da.uriComplete,
		ExpiresIn:               da.expires.Sub(now).Round(time.Second),
		Interval:                da.interval,
	})
	// One way, never a guess-and-retry: a second post of a device code
	// can be refused. A confidential client authenticates with HTTP
	// Basic unless told or shown otherwise (RFC 6749 §2.3.1: every server
	// must take it; zitadel takes nothing else at its token endpoint); a
	// public client sends its client_id in the body.
	method := authMethod(req, eps.AuthMethods)
	maxErrors := c.MaxPollErrors
	if maxErrors <= 0 {
		maxErrors = DefaultMaxPollErrors
	}
	interval, wait := da.interval, da.interval
	failures := 0
	for {
		if left := da.expires.Sub(c.now()); left <= 0 {
			return nil, &DeniedError{Code: "expired_token", Description: "no approval arrived in time"}
		} else if wait > left {
			// One last poll at the code's expiry, not a wait past it.
			wait = left
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, err
		}
		form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {da.deviceCode}}
		tok, err := c.tokenRequest(ctx, hc, req, method, eps.AuthMethods, eps.Token, form, "login")
		if err == nil {
			return tok, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var se *ServerError
		switch {
		case errors.As(err, &se) && se.Code == "authorization_pending":
			failures, wait = 0, interval
			continue
		case errors.As(err, &se) && se.Code == "slow_down":
			// RFC 8628 §3.5: "the interval MUST be increased by 5 seconds
			// for this and all subsequent requests".
			interval += 5 * time.Second
			failures, wait = 0, interval
			continue
		case !retryable(err):
			// An OAuth error, a denial, a redirect elsewhere: the
			// endpoint's answer, which polling again would not change.
			return nil, err
		}
		failures++
		if failures >= maxErrors {
			return nil, &verify.FetchError{URL: eps.Token, Err: &PollGiveUpError{Attempts: failures, Err: errors.New(pollReason(err))},
				Hint: "is the authority running and reachable? run jwtrace login again once it is"}
		}
		wait = min(interval<<failures, maxBackoff)
		if c.Retry != nil {
			c.Retry(RetryEvent{Endpoint: eps.Token, Reason: pollReason(err), Attempt: failures, Max: maxErrors, Wait: wait, Err: err})
		}
	}
}

// deviceAuthorization asks for a device code (RFC 8628 §3.1-3.2).
func (c *Client) deviceAuthorization(ctx context.Context, hc *http.Client, req *Request, eps Endpoints) (*deviceAuth, error) {
	form := url.Values{}
	if len(req.Scopes) > 0 {
		form.Set("scope", strings.Join(req.Scopes, " "))
	}
	addExtra(req, form)
	// RFC 8628 §3.1: the client authenticates as at the token endpoint. A
	// secret goes in the body unless --client-auth says Basic, as jwtrace
	// always sent it: servers that take only Basic at the token endpoint
	// (zitadel) take the body here.
	method := authMethod(req, eps.AuthMethods)
	if method == AuthSecretBasic && req.ClientAuth == "" {
		method = AuthSecretPost
	}
	resp, err := c.post(ctx, hc, req, method, eps.Device, form)
	if err != nil {
		return nil, err
	}
	if err := resp.oauthError(eps.Device); err != nil {
		return nil, err
	}
	m := resp.fields()
	if m == nil {
		return nil, &ServerError{Endpoint: eps.Device, Status: resp.status, Description: "the device authorization response is not JSON: " + excerpt(string(resp.body))}
	}
	da := &deviceAuth{deviceCode: str(m, "device_code"), userCode: str(m, "user_code"), uri: str(m, "verification_uri"), uriComplete: str(m, "verification_uri_complete")}
	if da.uri == "" {
		da.uri = str(m, "verification_url") // Google
	}
	if da.deviceCode == "" || da.userCode == "" || da.uri == "" {
		return nil, &ServerError{Endpoint: eps.Device, Status: resp.status, Description: "the device authorization response lacks device_code, user_code or verification_uri"}
	}
	now := c.now()
	da.expires = now.Add(DefaultDeviceExpiry)
	if s := seconds(m, "expires_in"); s > 0 {
		da.expires = now.Add(time.Duration(min(s, 86400)) * time.Second)
	}
	da.interval = DefaultInterval
	if s := seconds(m, "interval"); s > 0 {
		da.interval = time.Duration(min(s, 3600)) * time.Second
	}
	return da, nil
}

// retryable reports whether a poll's failure is a passing one: no answer
// (but not a redirect elsewhere), or a 5xx or 429 without an OAuth error
// (a proxy's 502, a 503).
func retryable(err error) bool {
	var se *ServerError
	if errors.As(err, &se) {
		return se.Code == "" && (se.Status >= 500 || se.Status == http.StatusTooManyRequests)
	}
	var redir *RedirectError
	if errors.As(err, &redir) {
		return false
	}
	var fe *verify.FetchError
	return errors.As(err, &fe)
}

// pollReason says in a few words why a poll failed.
func pollReason(err error) string {
	var se *ServerError
	if errors.As(err, &se) {
		return fmt.Sprintf("answered %d", se.Status)
	}
	switch netx.Classify(err) {
	case netx.KindRefused:
		return "connection refused"
	case netx.KindReset:
		return "connection reset"
	case netx.KindClosed:
		return "connection closed before an answer"
	case netx.KindTimeout:
		return "timed out"
	}
	var fe *verify.FetchError
	if errors.As(err, &fe) && fe.Err != nil {
		return oneLine(fe.Err.Error())
	}
	return oneLine(err.Error())
}
