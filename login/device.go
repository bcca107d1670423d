package login

import (
	"context"
	"errors"
	"time"

	"golang.org/x/oauth2"
)

// DefaultDeviceExpiry is assumed when a device authorization response has
// no expires_in.
const DefaultDeviceExpiry = 15 * time.Minute

// device runs the device authorization grant: ask for a code, show it,
// then poll with x/oauth2 (which honours interval, authorization_pending
// and slow_down). Network errors while polling back off and poll again
// until the code expires, instead of ending the login.
func (c *Client) device(ctx context.Context, req *Request, eps Endpoints) (*Token, error) {
	if c.Prompt == nil {
		return nil, &ConfigError{"the device grant needs a prompt"}
	}
	// One way, never x/oauth2's auto-detection: it would post twice, and a
	// second post of a device code can be refused. A confidential client
	// authenticates with HTTP Basic, which RFC 6749 §2.3.1 says servers
	// must take (zitadel takes nothing else at its token endpoint); a
	// public client sends its client_id in the body.
	style := oauth2.AuthStyleInParams
	if req.ClientSecret != "" {
		style = oauth2.AuthStyleInHeader
	}
	cfg := c.config(req, eps, style)
	opts := extraParams(req)
	authOpts := opts
	if req.ClientSecret != "" {
		// x/oauth2 sends the secret on the polls but not on the device
		// authorization request; a confidential client needs it on both.
		authOpts = append(append([]oauth2.AuthCodeOption(nil), opts...), oauth2.SetAuthURLParam("client_secret", req.ClientSecret))
	}
	da, err := cfg.DeviceAuth(ctx, authOpts...)
	if err != nil {
		return nil, tokenError(eps.Device, err)
	}
	if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
		return nil, &ServerError{Endpoint: eps.Device, Status: 200, Description: "the device authorization response lacks device_code, user_code or verification_uri"}
	}
	if da.Expiry.IsZero() {
		da.Expiry = time.Now().Add(DefaultDeviceExpiry)
	}
	if da.Interval <= 0 {
		da.Interval = 5 // RFC 8628 §3.2
	}
	c.Prompt(Prompt{
		UserCode:                da.UserCode,
		VerificationURI:         da.VerificationURI,
		VerificationURIComplete: da.VerificationURIComplete,
		ExpiresIn:               time.Until(da.Expiry).Round(time.Second),
		Interval:                time.Duration(da.Interval) * time.Second,
	})
	backoff := time.Duration(da.Interval) * time.Second
	for {
		t, err := cfg.DeviceAccessToken(ctx, da, opts...)
		if err == nil {
			return fromOAuth2(t, "login"), nil
		}
		var (
			re    *oauth2.RetrieveError
			redir *RedirectError
		)
		switch {
		case errors.As(err, &re) && !temporary(re), errors.As(err, &redir):
			// A redirect elsewhere is the endpoint's answer, not a
			// passing failure: polling again would not change it.
			return nil, tokenError(eps.Token, err)
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, context.DeadlineExceeded) || !time.Now().Before(da.Expiry):
			// x/oauth2 stops polling at the code's expiry.
			return nil, &DeniedError{Code: "expired_token", Description: "no approval arrived in time"}
		}
		// A network error, or a 5xx or 429 without an OAuth error: poll
		// again, less often. DeviceAccessToken waits
		// one interval before its first poll.
		backoff = min(backoff*2, time.Minute)
		if d := time.Until(da.Expiry); backoff > d {
			backoff = max(d, time.Second)
		}
		da.Interval = int64(backoff / time.Second)
	}
}

// temporary reports whether a token endpoint's error answer is a passing
// failure (a proxy's 502, a 503, a 429) rather than an OAuth error.
func temporary(re *oauth2.RetrieveError) bool {
	if re.ErrorCode != "" || re.Response == nil {
		return false
	}
	return re.Response.StatusCode >= 500 || re.Response.StatusCode == 429
}
