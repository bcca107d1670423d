package authority

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/internal/htmlsafe"
	"github.com/jwtrace/jwtrace/internal/lazy"
)

// DefaultCodeTTL is how long an authorization code can be redeemed (RFC
// 6749 §4.1.2 recommends at most 10 minutes; a CLI redeems it at once).
const DefaultCodeTTL = time.Minute

// authCode is what an authorization code stands for.
type authCode struct {
	client    string
	redirect  string
	scopes    []string
	aud       []string
	nonce     string
	challenge string // S256 (RFC 7636 §4.2)
	user      string
	authTime  time.Time
	expires   time.Time
	used      bool
	// refresh is the refresh token issued for the code, revoked when the
	// code is presented again (RFC 6749 §4.1.2).
	refresh string
}

// authRequest is an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3,
// OpenID Connect Core §3.1.2.1), checked.
type authRequest struct {
	client                 *Client
	redirect, state, nonce string
	challenge              string
	scopes, aud            []string
	prompt, loginHint      string
}

// redirectAllowed reports whether uri is one of the client's redirect
// URIs. A loopback IP literal matches with any port (RFC 8252 §7.3); a
// client without registered URIs may use any loopback http URI, and only
// those (a native app on this machine, RFC 8252 §7.3), never another host.
func (c *Client) redirectAllowed(uri string) bool {
	u, err := url.Parse(uri)
	if err != nil || u.Fragment != "" || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return false
	}
	loopback := u.Scheme == "http" && isLoopbackHost(u.Hostname())
	if len(c.RedirectURIs) == 0 {
		return loopback
	}
	for _, r := range c.RedirectURIs {
		if r == uri {
			return true
		}
		ru, err := url.Parse(r)
		if err != nil || !loopback || ru.Scheme != "http" || !isLoopbackHost(ru.Hostname()) {
			continue
		}
		if strings.EqualFold(ru.Hostname(), u.Hostname()) && ru.Path == u.Path && ru.RawQuery == u.RawQuery {
			return true
		}
	}
	return false
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// pkceChars are RFC 7636 §4.1's unreserved characters.
func pkceValue(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' || r == '~') {
			return false
		}
	}
	return true
}

// pageError is an authorization request that cannot be answered with a
// redirect (unknown client, bad redirect_uri: RFC 6749 §4.1.2.1 forbids
// redirecting then).
type pageError struct{ msg string }

// checkAuthRequest checks the parameters of an authorization request.
// A *pageError is shown on the page; an *Error goes back in the redirect.
func (a *Authority) checkAuthRequest(q url.Values) (*authRequest, error) {
	for _, k := range []string{"client_id", "redirect_uri", "response_type", "state", "code_challenge", "code_challenge_method", "scope", "nonce"} {
		if len(q[k]) > 1 {
			return nil, &pageErrorErr{pageError{fmt.Sprintf("The parameter %s is given %d times.", k, len(q[k]))}}
		}
	}
	c := a.clients[q.Get("client_id")]
	if c == nil {
		return nil, &pageErrorErr{pageError{fmt.Sprintf("Unknown client %s.", logValue(q.Get("client_id")))}}
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" || !c.redirectAllowed(redirect) {
		return nil, &pageErrorErr{pageError{fmt.Sprintf("The redirect_uri %s is not registered for client %s; not redirecting there.", logValue(redirect), logValue(c.ID))}}
	}
	ar := &authRequest{client: c, redirect: redirect, state: q.Get("state"), nonce: q.Get("nonce"), prompt: q.Get("prompt"), loginHint: q.Get("login_hint")}
	switch {
	case q.Get("response_type") != "code":
		return ar, oauthErr(http.StatusBadRequest, "unsupported_response_type", "response_type must be code")
	case !c.allows(GrantAuthorizationCode):
		return ar, oauthErr(http.StatusBadRequest, "unauthorized_client", "client %s may not use the authorization code grant", logValue(c.ID))
	case q.Get("code_challenge") == "":
		return ar, invalidRequest("PKCE is required: send code_challenge and code_challenge_method=S256 (RFC 7636)")
	case q.Get("code_challenge_method") != "S256":
		return ar, invalidRequest("code_challenge_method must be S256; plain is refused (RFC 7636 §4.2)")
	case !pkceValue(q.Get("code_challenge")):
		return ar, invalidRequest("code_challenge is not 43 to 128 unreserved characters (RFC 7636 §4.2)")
	case len(ar.nonce) > 512 || len(ar.state) > 512:
		return ar, invalidRequest("state and nonce must be at most 512 characters")
	}
	ar.challenge = q.Get("code_challenge")
	var err error
	if ar.scopes, err = a.scopes(c, url.Values{"scope": {q.Get("scope")}}); err != nil {
		return ar, err
	}
	if ar.aud, err = a.audience(c, q); err != nil {
		return ar, err
	}
	return ar, nil
}

type pageErrorErr struct{ pageError }

func (e *pageErrorErr) Error() string { return e.msg }

// redirectBack sends the browser back to the client with params, state
// and iss (RFC 6749 §4.1.2, RFC 9207 §2).
func (a *Authority) redirectBack(w http.ResponseWriter, r *http.Request, ar *authRequest, params url.Values) {
	u, _ := url.Parse(ar.redirect)
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if ar.state != "" {
		q.Set("state", ar.state)
	}
	q.Set("iss", a.issuerFor(r))
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

func (a *Authority) redirectError(w http.ResponseWriter, r *http.Request, ar *authRequest, e *Error) {
	logf(r, "error=%s", e.Code)
	a.redirectBack(w, r, ar, url.Values{"error": {e.Code}, "error_description": {e.Description}})
}

// issueCode stores a code for ar approved by user and redirects with it.
func (a *Authority) issueCode(w http.ResponseWriter, r *http.Request, ar *authRequest, user string) {
	code, err := a.random(32)
	if err != nil {
		http.Error(w, "500 internal error", http.StatusInternalServerError)
		return
	}
	now := a.cfg.Now()
	a.mu.Lock()
	a.sweepCodesLocked(now)
	if len(a.codes) >= a.maxDevices {
		a.mu.Unlock()
		a.redirectError(w, r, ar, oauthErr(http.StatusServiceUnavailable, "temporarily_unavailable", "too many authorization codes outstanding"))
		return
	}
	a.codes[code] = &authCode{client: ar.client.ID, redirect: ar.redirect, scopes: ar.scopes, aud: ar.aud, nonce: ar.nonce,
		challenge: ar.challenge, user: user, authTime: now, expires: now.Add(a.cfg.CodeTTL)}
	a.mu.Unlock()
	logClient(r, ar.client.ID)
	logf(r, "code issued for %s", logValue(user))
	a.redirectBack(w, r, ar, url.Values{"code": {code}})
}

// sweepCodesLocked forgets codes expired for a while.
func (a *Authority) sweepCodesLocked(now time.Time) {
	for k, c := range a.codes {
		if now.After(c.expires.Add(expiredGrace)) {
			delete(a.codes, k)
		}
	}
}

// authPageData feeds the sign-in page.
type authPageData struct {
	Action, CSRF string
	Error        string
	Client       string
	Scopes, Aud  string
	Users        []string
	Hint         string
	// Hidden carries the request's parameters to the POST, where they are
	// checked again.
	Hidden [][2]string
}

// authTmpl is parsed when a page is first served, not at init: every
// jwtrace command links this package (issue 18, start-up). It is htmlsafe,
// not html/template, whose package init every command would pay for.
var authTmplOnce lazy.Value[*htmlsafe.Template]

func authTmpl() *htmlsafe.Template { return authTmplOnce.Get(parseAuthTmpl) }

func parseAuthTmpl() *htmlsafe.Template { return htmlsafe.Must("authorize", authPageText) }

// authPageText is the sign-in page: htmlsafe escapes each value for
// where it goes (text, attribute, the form's URL).
const authPageText = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>jwtrace authority: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
select,button{font-size:1.1rem;padding:.3rem}.err{color:#b00}</style>
</head><body>
<h1>Sign in</h1>
<p><small>jwtrace test authority: no passwords; never use it for anything real.</small></p>
{{if .Error}}<p class="err" role="alert" id="error">{{.Error}}</p>{{end}}
{{if .Client}}<form method="post" action="{{.Action}}" id="approve-form">
<input type="hidden" name="csrf" value="{{.CSRF}}">
{{range .Hidden}}<input type="hidden" name="{{index . 0}}" value="{{index . 1}}">
{{end}}<p>Client <b id="client">{{.Client}}</b> asks for
{{if .Scopes}}scopes <b id="scopes">{{.Scopes}}</b>{{else}}no scopes{{end}}, audience <b>{{.Aud}}</b>.</p>
<p><label>Sign in as <select name="user" id="user">{{range .Users}}<option{{if eq . $.Hint}} selected{{end}}>{{.}}</option>{{end}}</select></label></p>
<p><button type="submit" name="action" value="approve" id="approve">Approve</button>
<button type="submit" name="action" value="deny" id="deny">Deny</button></p>
</form>{{end}}
</body></html>
`

func (a *Authority) renderAuth(w http.ResponseWriter, status int, d authPageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = authTmpl().Execute(w, d)
}

// authorize is the authorization endpoint (RFC 6749 §3.1): a GET shows
// the sign-in page (or, with AutoApprove, redirects with a code at
// once); the page's POST approves or denies.
func (a *Authority) authorize(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", authCSP(""))
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	action := a.prefix + PathAuthorize
	cookie := ""
	if c, err := r.Cookie(authCSRFCookie); err == nil && len(c.Value) == 22 {
		cookie = c.Value
	}
	var q url.Values
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		q = r.URL.Query()
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if err := r.ParseForm(); err != nil {
			logf(r, "bad form")
			http.Error(w, "400 bad form", http.StatusBadRequest)
			return
		}
		q = r.PostForm
	default:
		h.Set("Allow", "GET, HEAD, POST")
		logf(r, "method not allowed")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	ar, err := a.checkAuthRequest(q)
	if pe, ok := err.(*pageErrorErr); ok {
		logf(r, "refused: %s", pe.msg)
		a.renderAuth(w, http.StatusBadRequest, authPageData{Error: pe.msg})
		return
	}
	if e, ok := err.(*Error); ok {
		a.redirectError(w, r, ar, e)
		return
	}
	logClient(r, ar.client.ID)
	// Browsers apply form-action to the redirect that answers the form's
	// POST too (CSP 3 §6.3.1.2), so the client's redirect URI's origin is
	// allowed, and only it.
	h.Set("Content-Security-Policy", authCSP(ar.redirect))
	if r.Method == http.MethodPost {
		if cookie == "" || !hmac.Equal([]byte(q.Get("csrf")), []byte(a.csrfToken("authorize:"+cookie))) {
			logf(r, "csrf check failed")
			a.renderAuth(w, http.StatusForbidden, authPageData{Error: "This form expired or did not come from this page. Start the sign-in again."})
			return
		}
		switch q.Get("action") {
		case "deny":
			a.redirectError(w, r, ar, oauthErr(http.StatusBadRequest, "access_denied", "the user denied the request"))
		case "approve":
			user := q.Get("user")
			if a.user(user) == nil {
				logf(r, "unknown user")
				a.renderAuth(w, http.StatusBadRequest, authPageData{Error: "Pick one of the users."})
				return
			}
			a.issueCode(w, r, ar, user)
		default:
			logf(r, "bad action")
			a.renderAuth(w, http.StatusBadRequest, authPageData{Error: "Unknown action."})
		}
		return
	}
	if a.cfg.AutoApprove != "" {
		a.issueCode(w, r, ar, a.cfg.AutoApprove)
		return
	}
	if ar.prompt == "none" {
		// OpenID Connect Core §3.1.2.6: no page may be shown.
		a.redirectError(w, r, ar, oauthErr(http.StatusBadRequest, "login_required", "prompt=none, and the authority signs nobody in without its page"))
		return
	}
	if cookie == "" {
		if cookie, err = a.random(16); err != nil {
			http.Error(w, "500 internal error", http.StatusInternalServerError)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: authCSRFCookie, Value: cookie, Path: action, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	}
	d := authPageData{Action: action, CSRF: a.csrfToken("authorize:" + cookie), Client: ar.client.ID,
		Scopes: strings.Join(ar.scopes, " "), Aud: strings.Join(ar.aud, " "), Users: a.userNames(), Hint: ar.loginHint}
	for _, k := range []string{"response_type", "client_id", "redirect_uri", "state", "nonce", "code_challenge", "code_challenge_method", "scope", "prompt", "login_hint"} {
		if v := q.Get(k); v != "" {
			d.Hidden = append(d.Hidden, [2]string{k, v})
		}
	}
	for _, k := range []string{"audience", "resource"} {
		for _, v := range q[k] {
			d.Hidden = append(d.Hidden, [2]string{k, v})
		}
	}
	logf(r, "sign-in page")
	a.renderAuth(w, http.StatusOK, d)
}

// authCSP is the sign-in page's Content-Security-Policy: nothing but its
// own style, and forms that go to the authority or, by the redirect that
// answers them, to the client's redirect URI.
func authCSP(redirect string) string {
	action := "'self'"
	if u, err := url.Parse(redirect); err == nil && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https") {
		action += " " + u.Scheme + "://" + u.Host
	}
	return "default-src 'none'; style-src 'unsafe-inline'; form-action " + action + "; frame-ancestors 'none'"
}

// authCSRFCookie is the sign-in page's CSRF cookie (see csrfCookie).
const authCSRFCookie = "jwtrace_csrf_authorize"

// codeToken redeems an authorization code (RFC 6749 §4.1.3, RFC 7636
// §4.6): once, by its client, with its redirect_uri and the verifier of
// its challenge, before it expires.
func (a *Authority) codeToken(r *http.Request, c *Client, form url.Values) (*TokenResponse, error) {
	code := form.Get("code")
	if code == "" {
		return nil, invalidRequest("code is missing")
	}
	now := a.cfg.Now()
	a.mu.Lock()
	g := a.codes[code]
	var revoked bool
	if g != nil && g.used {
		// RFC 6749 §4.1.2: a code used twice revokes what it gave.
		if g.refresh != "" {
			delete(a.refresh, g.refresh)
			revoked = true
		}
	}
	usedBefore := g != nil && g.used
	if g != nil && g.client == c.ID {
		g.used = true
	}
	a.mu.Unlock()
	verifier := form.Get("code_verifier")
	switch {
	case g == nil:
		return nil, invalidGrant("unknown authorization code")
	case usedBefore:
		msg := "the authorization code was already used"
		if revoked {
			msg += "; the refresh token issued for it is revoked (RFC 6749 §4.1.2)"
		}
		return nil, invalidGrant("%s", msg)
	case g.client != c.ID:
		return nil, invalidGrant("the authorization code was issued to another client")
	case !now.Before(g.expires):
		return nil, invalidGrant("the authorization code expired at %s", g.expires.UTC().Format(time.RFC3339))
	case form.Get("redirect_uri") != g.redirect:
		return nil, invalidGrant("redirect_uri differs from the authorization request's (RFC 6749 §4.1.3)")
	case verifier == "":
		return nil, invalidGrant("code_verifier is missing: the authorization request had a PKCE challenge (RFC 7636 §4.5)")
	case !pkceValue(verifier):
		return nil, invalidGrant("code_verifier is not 43 to 128 unreserved characters (RFC 7636 §4.1)")
	}
	sum := sha256.Sum256([]byte(verifier))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(g.challenge)) != 1 {
		return nil, invalidGrant("code_verifier does not match the code_challenge (S256, RFC 7636 §4.6)")
	}
	u := a.user(g.user)
	if u == nil {
		return nil, invalidGrant("the approving user no longer exists")
	}
	resp, err := a.issue(grantRequest{client: c, user: u, scopes: g.scopes, aud: g.aud, authTime: g.authTime, nonce: g.nonce})
	if err != nil {
		return nil, err
	}
	if resp.RefreshToken != "" {
		a.mu.Lock()
		g.refresh = resp.RefreshToken
		a.mu.Unlock()
	}
	return resp, nil
}
