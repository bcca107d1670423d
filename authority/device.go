package authority

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/internal/htmlsafe"
	"github.com/jwtrace/jwtrace/internal/lazy"
)

// deviceGrant is a device authorization in progress (RFC 8628).
type deviceGrant struct {
	client   string
	userCode string // normalized: 8 letters, no dash
	scopes   []string
	aud      []string
	expires  time.Time
	interval time.Duration
	lastPoll time.Time
	state    string // pending, approved, denied
	user     string // who approved
	authTime time.Time
}

// DeviceAuthResponse is the device authorization endpoint's answer (RFC
// 8628 section 3.2).
type DeviceAuthResponse struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

// Limits on wrong user codes typed on the device page. RFC 8628 section
// 5.1 asks that user codes be protected against brute force: a user code
// has only about 34 bits. An address that typed MaxWrongUserCodes codes
// that match no device within UserCodeWindow gets 429 Too Many Requests,
// with Retry-After, for every code (the right one too) until the window
// ends; so do all addresses once MaxWrongUserCodesTotal wrong codes were
// typed in a window, so that guesses spread over many addresses are
// bounded too (at most 100 guesses per 10 minutes among 20^8 codes). Malformed
// input does not count; codes that are known but expired or used do not
// either. The windows are fixed: they start with the first wrong code.
const (
	MaxWrongUserCodes      = 10
	MaxWrongUserCodesTotal = 100
	UserCodeWindow         = 10 * time.Minute
)

// maxGuessers bounds the addresses whose wrong codes are counted; beyond
// it (after forgetting the ended windows) only the overall limit applies.
const maxGuessers = 10000

// guessWindow counts wrong user codes in one fixed window.
type guessWindow struct {
	start time.Time
	n     int
}

// wait is how long until the window ends when it holds max wrong codes,
// else 0.
func (g *guessWindow) wait(now time.Time, max int) time.Duration {
	if g == nil || g.n < max {
		return 0
	}
	if left := g.start.Add(UserCodeWindow).Sub(now); left > 0 {
		return left
	}
	return 0
}

func (g *guessWindow) add(now time.Time) {
	if !now.Before(g.start.Add(UserCodeWindow)) || g.n == 0 {
		g.start, g.n = now, 0
	}
	g.n++
}

// guessLimit says how long ip must wait before it may try a user code (0:
// it may).
func (a *Authority) guessLimit(ip string, now time.Time) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return max(a.allGuesses.wait(now, MaxWrongUserCodesTotal), a.guesses[ip].wait(now, MaxWrongUserCodes))
}

// wrongGuess counts a wrong user code from ip.
func (a *Authority) wrongGuess(ip string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.allGuesses.add(now)
	g := a.guesses[ip]
	if g == nil {
		if len(a.guesses) >= maxGuessers {
			for k, v := range a.guesses {
				if !now.Before(v.start.Add(UserCodeWindow)) {
					delete(a.guesses, k)
				}
			}
		}
		if len(a.guesses) >= maxGuessers {
			return
		}
		g = &guessWindow{}
		a.guesses[ip] = g
	}
	g.add(now)
}

// clientIP is the address a request came from (no port), the key of the
// per-address limit.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// userCodeAlphabet is RFC 8628 section 6.1's: consonants only, so codes
// spell no words and survive case changes.
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// newUserCode is 8 random letters of userCodeAlphabet (about 34 bits).
func (a *Authority) newUserCode() (string, error) {
	var out []byte
	buf := make([]byte, 16)
	for len(out) < 8 {
		if _, err := io.ReadFull(a.cfg.Rand, buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			// 240 = 12 * 20: reject the rest so every letter is equally likely.
			if b < 240 && len(out) < 8 {
				out = append(out, userCodeAlphabet[int(b)%len(userCodeAlphabet)])
			}
		}
	}
	return string(out), nil
}

// FormatUserCode shows a normalized user code as XXXX-XXXX.
func FormatUserCode(c string) string {
	if len(c) != 8 {
		return c
	}
	return c[:4] + "-" + c[4:]
}

// NormalizeUserCode is how a typed user code is looked up: upper case,
// without dashes or spaces.
func NormalizeUserCode(s string) string {
	s = strings.ToUpper(s)
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
}

func (a *Authority) interval() time.Duration {
	iv := a.cfg.PollInterval.Round(time.Second)
	if iv < time.Second {
		iv = time.Second
	}
	return iv
}

func (a *Authority) deviceAuthorization(w http.ResponseWriter, r *http.Request) {
	form, err := readForm(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	c, err := a.authenticateClient(r, form)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if !c.allows(GrantDeviceCode) {
		writeError(w, r, oauthErr(http.StatusBadRequest, "unauthorized_client", "client %s may not use the device flow", logValue(c.ID)))
		return
	}
	resp, err := a.startDevice(r, c, form)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if a.cfg.AutoApprove != "" {
		logf(r, "user_code=%s auto-approved as %s", resp.UserCode, logValue(a.cfg.AutoApprove))
	} else {
		logf(r, "user_code=%s pending", resp.UserCode)
	}
	writeJSON(w, http.StatusOK, resp)
}

func (a *Authority) startDevice(r *http.Request, c *Client, form url.Values) (*DeviceAuthResponse, error) {
	scopes, err := a.scopes(c, form)
	if err != nil {
		return nil, err
	}
	aud, err := a.audience(c, form)
	if err != nil {
		return nil, err
	}
	code, err := a.random(32)
	if err != nil {
		return nil, err
	}
	now := a.cfg.Now()
	page := a.base(r) + PathDevice
	d := &deviceGrant{client: c.ID, scopes: scopes, aud: aud, expires: now.Add(a.cfg.DeviceCodeTTL), interval: a.interval(), state: "pending"}
	if a.cfg.AutoApprove != "" {
		d.state, d.user, d.authTime = "approved", a.cfg.AutoApprove, now
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sweepDevicesLocked(now) >= a.maxDevices {
		return nil, oauthErr(http.StatusServiceUnavailable, "temporarily_unavailable", "too many device authorizations in progress")
	}
	for {
		uc, err := a.newUserCode()
		if err != nil {
			return nil, err
		}
		if _, taken := a.userCodes[uc]; !taken {
			d.userCode = uc
			break
		}
	}
	a.devices[code] = d
	a.userCodes[d.userCode] = code
	return &DeviceAuthResponse{
		DeviceCode:              code,
		UserCode:                FormatUserCode(d.userCode),
		VerificationURI:         page,
		VerificationURIComplete: page + "?user_code=" + url.QueryEscape(FormatUserCode(d.userCode)),
		ExpiresIn:               int64(a.cfg.DeviceCodeTTL / time.Second),
		Interval:                int64(d.interval / time.Second),
	}, nil
}

// deviceToken answers a poll of the device flow (RFC 8628 section 3.5).
func (a *Authority) deviceToken(r *http.Request, c *Client, form url.Values) (*TokenResponse, error) {
	code := form.Get("device_code")
	if code == "" {
		return nil, invalidRequest("device_code is missing")
	}
	now := a.cfg.Now()
	a.mu.Lock()
	d := a.devices[code]
	var result string
	var interval time.Duration // d.interval as of this poll; other polls change it
	switch {
	case d == nil:
		result = "unknown"
	case d.client != c.ID:
		result = "other client"
	case !now.Before(d.expires):
		result = "expired"
	case d.state == "pending":
		// Too fast: within the interval, less a tenth for network jitter.
		if !d.lastPoll.IsZero() && now.Sub(d.lastPoll) < d.interval-d.interval/10 {
			d.interval += 5 * time.Second
			result = "slow_down"
		} else {
			result = "pending"
		}
		d.lastPoll = now
		interval = d.interval
	case d.state == "denied":
		result = "denied"
		a.forgetDeviceLocked(code, d)
	case d.state == "approved":
		result = "approved"
		// A device code is good for one token response.
		a.forgetDeviceLocked(code, d)
	}
	a.mu.Unlock()
	switch result {
	case "unknown":
		return nil, invalidGrant("unknown or already used device_code")
	case "other client":
		return nil, invalidGrant("the device_code was issued to another client")
	case "expired":
		return nil, oauthErr(http.StatusBadRequest, "expired_token", "the device_code expired at %s; start again", d.expires.UTC().Format(time.RFC3339))
	case "slow_down":
		return nil, oauthErr(http.StatusBadRequest, "slow_down", "polled faster than every %s; the interval is now %s", interval-5*time.Second, interval)
	case "pending":
		return nil, oauthErr(http.StatusBadRequest, "authorization_pending", "the user has not approved yet")
	case "denied":
		return nil, oauthErr(http.StatusBadRequest, "access_denied", "the user denied the request")
	}
	u := a.user(d.user)
	if u == nil {
		return nil, invalidGrant("the approving user no longer exists")
	}
	logClient(r, c.ID)
	return a.issue(grantRequest{client: c, user: u, scopes: d.scopes, aud: d.aud, authTime: d.authTime})
}

func (a *Authority) forgetDeviceLocked(code string, d *deviceGrant) {
	delete(a.devices, code)
	delete(a.userCodes, d.userCode)
}

// pageData feeds the device page template.
type pageData struct {
	Action   string
	CSRF     string
	UserCode string
	Error    string
	Done     string
	// Confirm step:
	Client string
	Scopes string
	Aud    string
	Users  []string
}

// pageTmpl is parsed when a page is first served, not at init: every
// jwtrace command links this package (issue 18, start-up). It is htmlsafe,
// not html/template, whose package init every command would pay for.
var pageTmplOnce lazy.Value[*htmlsafe.Template]

func pageTmpl() *htmlsafe.Template { return pageTmplOnce.Get(parsePageTmpl) }

func parsePageTmpl() *htmlsafe.Template { return htmlsafe.Must("device", devicePageText) }

// devicePageText is the device page: htmlsafe escapes each value for
// where it goes (text, attribute, the form's URL).
const devicePageText = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>jwtrace authority: device sign-in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
input,select,button{font-size:1.1rem;padding:.3rem}.err{color:#b00}.code{font-family:monospace;font-size:1.4rem}</style>
</head><body>
<h1>Device sign-in</h1>
<p><small>jwtrace test authority: no passwords; never use it for anything real.</small></p>
{{if .Error}}<p class="err" role="alert">{{.Error}}</p>{{end}}
{{if .Done}}<p id="result">{{.Done}}</p>
{{else if .Client}}<form method="post" action="{{.Action}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="hidden" name="user_code" value="{{.UserCode}}">
<p>Code <span class="code">{{.UserCode}}</span>: client <b>{{.Client}}</b> asks for
{{if .Scopes}}scopes <b>{{.Scopes}}</b>{{else}}no scopes{{end}}, audience <b>{{.Aud}}</b>.</p>
<p><label>Sign in as <select name="user">{{range .Users}}<option>{{.}}</option>{{end}}</select></label></p>
<p><button type="submit" name="action" value="approve">Approve</button>
<button type="submit" name="action" value="deny">Deny</button></p>
</form>
{{else}}<form method="post" action="{{.Action}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<p><label>Enter the code shown on your device:<br>
<input name="user_code" value="{{.UserCode}}" autocomplete="off" autofocus placeholder="BCDF-GHJK"></label></p>
<p><button type="submit" name="action" value="continue">Continue</button></p>
</form>{{end}}
</body></html>
`

// csrfCookie names the cookie of the device page's CSRF protection: a
// random value in a SameSite=Strict cookie, and an HMAC of it (under a
// per-process key) in every form. A POST needs both to match.
const csrfCookie = "jwtrace_csrf"

func (a *Authority) csrfToken(cookie string) string {
	m := hmac.New(sha256.New, a.csrfKey)
	m.Write([]byte(cookie))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// devicePage is the verification page where a person enters a user code
// and approves or denies it.
func (a *Authority) devicePage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	data := pageData{Action: a.prefix + PathDevice}

	cookie := ""
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 22 {
		cookie = c.Value
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if cookie == "" {
			var err error
			if cookie, err = a.random(16); err != nil {
				http.Error(w, "500 internal error", http.StatusInternalServerError)
				return
			}
			http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: cookie, Path: a.prefix + PathDevice, HttpOnly: true, SameSite: http.SameSiteStrictMode})
		}
		data.CSRF = a.csrfToken(cookie)
		code := r.URL.Query().Get("user_code")
		data.UserCode = code
		status := http.StatusOK
		if code != "" {
			if a.tooManyGuesses(w, r, &data) {
				return
			}
			if err := a.confirmData(r, &data, code); err != "" {
				data.Error, status = err, http.StatusBadRequest
			}
		}
		logf(r, "page")
		a.render(w, status, data)
		return
	case http.MethodPost:
	default:
		h.Set("Allow", "GET, HEAD, POST")
		logf(r, "method not allowed")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}

	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		logf(r, "bad form")
		http.Error(w, "400 bad form", http.StatusBadRequest)
		return
	}
	if cookie == "" || !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(a.csrfToken(cookie))) {
		logf(r, "csrf check failed")
		data.Error = "This form expired or did not come from this page. Open the page again."
		data.CSRF = ""
		a.render(w, http.StatusForbidden, data)
		return
	}
	data.CSRF = a.csrfToken(cookie)
	code := r.PostForm.Get("user_code")
	data.UserCode = code
	action := r.PostForm.Get("action")
	if a.tooManyGuesses(w, r, &data) {
		return
	}
	if e := a.confirmData(r, &data, code); e != "" {
		logf(r, "bad user code")
		data.Error = e
		a.render(w, http.StatusBadRequest, data)
		return
	}
	switch action {
	case "", "continue":
		logf(r, "confirm user_code=%s", FormatUserCode(NormalizeUserCode(code)))
		a.render(w, http.StatusOK, data)
		return
	case "approve", "deny":
	default:
		logf(r, "bad action")
		data.Error = "Unknown action."
		a.render(w, http.StatusBadRequest, data)
		return
	}
	user := r.PostForm.Get("user")
	if action == "approve" && a.user(user) == nil {
		logf(r, "unknown user")
		data.Error = "Pick one of the users."
		a.render(w, http.StatusBadRequest, data)
		return
	}
	norm := NormalizeUserCode(code)
	now := a.cfg.Now()
	a.mu.Lock()
	d := a.devices[a.userCodes[norm]]
	ok := d != nil && d.state == "pending" && now.Before(d.expires)
	if ok {
		if action == "approve" {
			d.state, d.user, d.authTime = "approved", user, now
		} else {
			d.state = "denied"
		}
	}
	a.mu.Unlock()
	if !ok {
		logf(r, "code no longer pending")
		data.Error = "That code was already used or has expired."
		data.Client = ""
		a.render(w, http.StatusBadRequest, data)
		return
	}
	data.Client = ""
	if action == "approve" {
		logf(r, "user_code=%s approved as %s", FormatUserCode(norm), logValue(user))
		data.Done = fmt.Sprintf("Approved: signed in as %s. You can close this page and return to your device.", user)
	} else {
		logf(r, "user_code=%s denied", FormatUserCode(norm))
		data.Done = "Denied. The device will not be signed in."
	}
	a.render(w, http.StatusOK, data)
}

// tooManyGuesses answers 429 with Retry-After, and returns true, when the
// request's address (or everyone) typed too many wrong user codes lately.
func (a *Authority) tooManyGuesses(w http.ResponseWriter, r *http.Request, data *pageData) bool {
	wait := a.guessLimit(clientIP(r), a.cfg.Now())
	if wait <= 0 {
		return false
	}
	secs := int64((wait + time.Second - 1) / time.Second)
	logf(r, "too many wrong user codes")
	w.Header().Set("Retry-After", fmt.Sprint(secs))
	data.Error = fmt.Sprintf("Too many wrong codes were typed. Try again in %s.", (time.Duration(secs) * time.Second).String())
	data.UserCode, data.Client = "", ""
	a.render(w, http.StatusTooManyRequests, *data)
	return true
}

// confirmData fills the confirm step for a user code, or returns what is
// wrong with it. A well-formed code that matches no device counts toward
// the request's address's limit of wrong codes.
func (a *Authority) confirmData(r *http.Request, data *pageData, code string) string {
	norm := NormalizeUserCode(code)
	if len(norm) != 8 || strings.Trim(norm, userCodeAlphabet) != "" {
		return "That is not a code: codes look like BCDF-GHJK."
	}
	now := a.cfg.Now()
	a.mu.Lock()
	d := a.devices[a.userCodes[norm]]
	if d == nil {
		a.mu.Unlock()
		a.wrongGuess(clientIP(r), now)
		return "Unknown, used or expired code. Check it, or start again on your device."
	}
	defer a.mu.Unlock()
	switch {
	case !now.Before(d.expires):
		return "That code has expired. Start again on your device."
	case d.state == "approved":
		return "That code was already approved."
	case d.state == "denied":
		return "That code was already denied."
	}
	data.UserCode = FormatUserCode(norm)
	data.Client = d.client
	data.Scopes = strings.Join(d.scopes, " ")
	data.Aud = strings.Join(d.aud, " ")
	data.Users = a.userNames()
	return ""
}

func (a *Authority) render(w http.ResponseWriter, status int, data pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = pageTmpl().Execute(w, data)
}
