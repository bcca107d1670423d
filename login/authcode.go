package login

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/internal/htmlsafe"
	"github.com/jwtrace/jwtrace/internal/lazy"
	"github.com/jwtrace/jwtrace/verify"
)

// AuthPrompt is what a person needs to sign in with the authorization
// code grant: the URL to open. The redirect listener is already up.
type AuthPrompt struct {
	URL         string
	RedirectURI string
}

// DefaultRedirectPath is the path of the redirect URI jwtrace listens on
// when none is given.
const DefaultRedirectPath = "/callback"

// randomString is n random bytes, base64url.
func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// pkce makes a code verifier (32 random bytes: 43 characters, RFC 7636
// §4.1) and its S256 challenge (§4.2). jwtrace always uses S256, whatever
// discovery advertises: plain would show the verifier to whoever sees the
// authorization request.
func pkce() (verifier, challenge string, err error) {
	verifier, err = randomString(32)
	if err != nil {
		return "", "", err
	}
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// redirectListener listens where the redirect URI says: a loopback
// interface (RFC 8252 §7.3), the URI's port or a random one.
func redirectListener(req *Request) (net.Listener, *url.URL, error) {
	var u *url.URL
	if req.RedirectURI != "" {
		var err error
		u, err = url.Parse(req.RedirectURI)
		if err != nil || u.Scheme != "http" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, nil, &ConfigError{fmt.Sprintf("--redirect-uri %q: want a loopback http URL without query or fragment, such as http://127.0.0.1:8400/callback (RFC 8252 §7.3)", req.RedirectURI)}
		}
	} else {
		host := req.RedirectHost
		if host == "" {
			host = "127.0.0.1"
		}
		u = &url.URL{Scheme: "http", Host: net.JoinHostPort(host, strconv.Itoa(req.RedirectPort)), Path: DefaultRedirectPath}
	}
	host, port := u.Hostname(), u.Port()
	if req.RedirectURI != "" && req.RedirectPort != 0 {
		port = strconv.Itoa(req.RedirectPort)
	}
	if port == "" {
		port = "0"
	}
	// localhost is listened for on 127.0.0.1 only: a name can resolve to
	// anything, and RFC 8252 §8.3 prefers the literal address.
	listenHost := host
	switch {
	case strings.EqualFold(host, "localhost"):
		listenHost = "127.0.0.1"
	case net.ParseIP(host) == nil || !net.ParseIP(host).IsLoopback():
		return nil, nil, &ConfigError{fmt.Sprintf("redirect host %q: jwtrace listens on loopback only (127.0.0.1, [::1] or localhost; RFC 8252 §7.3)", host)}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(listenHost, port))
	if err != nil {
		return nil, nil, &ConfigError{fmt.Sprintf("cannot listen for the redirect on %s: %s; pick another --redirect-port", net.JoinHostPort(listenHost, port), errText(err))}
	}
	_, realPort, _ := net.SplitHostPort(ln.Addr().String())
	u.Host = net.JoinHostPort(host, realPort)
	if u.Path == "" {
		u.Path = "/"
	}
	return ln, u, nil
}

// callback is what the redirect brought.
type callback struct {
	code string
	err  error
	// done receives the login's outcome, for the page the browser shows.
	done chan error
}

// resultPage is the page the browser shows after the redirect, parsed on
// first use. It is htmlsafe, not html/template, whose package init every
// jwtrace command would pay for (issue 18, start-up).
var resultPageOnce lazy.Value[*htmlsafe.Template]

func resultPage() *htmlsafe.Template { return resultPageOnce.Get(parseResultPage) }

func parseResultPage() *htmlsafe.Template { return htmlsafe.Must("result", resultText) }

const resultText = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>jwtrace: {{.Title}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}.err{color:#b00}</style>
</head><body><h1 id="title">{{.Title}}</h1>
<p id="message"{{if .Failed}} class="err"{{end}}>{{.Message}}</p>
</body></html>
`

func writeResult(w http.ResponseWriter, status int, title, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = resultPage().Execute(w, struct {
		Title, Message string
		Failed         bool
	}{title, msg, status != http.StatusOK})
}

// AuthorizationError is the authorization endpoint's error redirect
// (RFC 6749 §4.1.2.1). access_denied and the rest are a denied login
// (exit 4); the server's words are escaped and on one line.
type AuthorizationError = DeniedError

// authCode runs the authorization code grant with PKCE (RFC 6749 §4.1,
// RFC 7636, RFC 8252 for the loopback redirect): it listens on loopback,
// has the browser open the authorization URL, waits for the redirect with
// the right state, redeems the code with the verifier, and verifies the
// ID token (signature with the authority's JWKS, iss, aud = the client,
// nonce; OpenID Connect Core §3.1.3.7).
func (c *Client) authCode(ctx context.Context, hc *http.Client, req *Request, eps Endpoints) (*Token, error) {
	if c.Browse == nil {
		return nil, &ConfigError{"the authorization code grant needs a browser opener"}
	}
	verifier, challenge, err := pkce()
	if err != nil {
		return nil, err
	}
	state, err := randomString(16)
	if err != nil {
		return nil, err
	}
	nonce, err := randomString(16)
	if err != nil {
		return nil, err
	}
	ln, redirect, err := redirectListener(req)
	if err != nil {
		return nil, err
	}
	authURL, err := url.Parse(eps.Authorization)
	if err != nil {
		ln.Close()
		return nil, &ConfigError{fmt.Sprintf("the authorization endpoint %q is not a URL", oneLine(eps.Authorization))}
	}
	q := authURL.Query()
	extra := url.Values{}
	addExtra(req, extra)
	for k, v := range extra {
		q[k] = v
	}
	for k, v := range map[string]string{
		"response_type": "code", "client_id": req.ClientID, "redirect_uri": redirect.String(),
		"state": state, "nonce": nonce, "code_challenge": challenge, "code_challenge_method": "S256",
	} {
		q.Set(k, v)
	}
	if len(req.Scopes) > 0 {
		q.Set("scope", strings.Join(req.Scopes, " "))
	}
	if req.LoginPrompt != "" {
		q.Set("prompt", req.LoginPrompt)
	}
	if req.LoginHint != "" {
		q.Set("login_hint", req.LoginHint)
	}
	authURL.RawQuery = q.Encode()

	got := make(chan *callback)
	mux := http.NewServeMux()
	mux.HandleFunc(redirect.Path, func(w http.ResponseWriter, r *http.Request) {
		cb, status, msg := readRedirect(r, state, eps.Issuer)
		if cb == nil {
			// Not the answer to this login (a stale tab, another page
			// guessing the port): say so and keep waiting.
			writeResult(w, status, "Not signed in", msg)
			return
		}
		cb.done = make(chan error, 1)
		select {
		case got <- cb:
		case <-r.Context().Done():
			return
		}
		select {
		case err := <-cb.done:
			if err != nil {
				writeResult(w, http.StatusBadRequest, "Not signed in", "jwtrace could not complete the sign-in: "+oneLine(err.Error())+". See the terminal.")
				return
			}
			writeResult(w, http.StatusOK, "Signed in", "jwtrace is signed in. You can close this tab and return to the terminal.")
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
			writeResult(w, http.StatusGatewayTimeout, "Still working", "jwtrace is still completing the sign-in; see the terminal.")
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "404 not found: jwtrace waits for the sign-in redirect at "+redirect.Path, http.StatusNotFound)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	go srv.Serve(ln)
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	c.Browse(AuthPrompt{URL: authURL.String(), RedirectURI: redirect.String()})
	var cb *callback
	select {
	case cb = <-got:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	tok, err := c.redeem(ctx, hc, req, eps, cb, redirect.String(), verifier, nonce)
	cb.done <- err
	return tok, err
}

// readRedirect checks a request to the redirect URI: the state must be
// this login's (RFC 6749 §10.12), and an iss parameter, when the server
// sends one, its issuer (RFC 9207 §2.4). It returns nil, with a status
// and message for the page, when the request is not this login's answer.
func readRedirect(r *http.Request, state, issuer string) (*callback, int, string) {
	if r.Method != http.MethodGet {
		return nil, http.StatusMethodNotAllowed, "The sign-in answer comes as a GET request."
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
		return nil, http.StatusBadRequest, "This is not the answer to the sign-in jwtrace is waiting for (the state does not match). Start the sign-in from the terminal."
	}
	if iss, ok := q["iss"]; ok && issuer != "" && strings.TrimRight(iss[0], "/") != strings.TrimRight(issuer, "/") {
		return &callback{err: &ServerError{Endpoint: "the authorization endpoint", Status: http.StatusFound,
			Description: fmt.Sprintf("the redirect names issuer %q, not %q: refusing the code (RFC 9207 mix-up protection)", oneLine(iss[0]), oneLine(issuer))}}, 0, ""
	}
	if code := q.Get("error"); code != "" {
		return &callback{err: &DeniedError{Code: oneLine(code), Description: oneLine(q.Get("error_description"))}}, 0, ""
	}
	if q.Get("code") == "" {
		return &callback{err: &ServerError{Endpoint: "the authorization endpoint", Status: http.StatusFound, Description: "the redirect has neither code nor error"}}, 0, ""
	}
	return &callback{code: q.Get("code")}, 0, ""
}

// redeem exchanges the code (RFC 6749 §4.1.3, RFC 7636 §4.5) and checks
// the ID token.
func (c *Client) redeem(ctx context.Context, hc *http.Client, req *Request, eps Endpoints, cb *callback, redirect, verifier, nonce string) (*Token, error) {
	if cb.err != nil {
		return nil, cb.err
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {cb.code}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
	tok, err := c.tokenRequest(ctx, hc, req, authMethod(req, eps.AuthMethods), eps.AuthMethods, eps.Token, form, "login")
	if err != nil {
		return nil, err
	}
	if slices.Contains(req.Scopes, "openid") && tok.IDToken == "" {
		return nil, &ServerError{Endpoint: eps.Token, Status: http.StatusOK, Description: "the token response has no id_token, though the openid scope was asked for (OpenID Connect Core §3.1.3.3)"}
	}
	if tok.IDToken != "" {
		if err := c.checkIDToken(ctx, req, eps, tok.IDToken, nonce); err != nil {
			return nil, err
		}
	}
	return tok, nil
}

// IDTokenError is an ID token that failed verification: jwtrace does not
// take the login (exit 3, the authority's answer is wrong).
type IDTokenError = ServerError

// checkIDToken verifies an ID token from the token endpoint: signature
// with the issuer's JWKS, iss, aud containing the client, exp and iat, and
// the nonce of this login (OpenID Connect Core §3.1.3.7).
func (c *Client) checkIDToken(ctx context.Context, req *Request, eps Endpoints, idToken, nonce string) error {
	fail := func(why string) error {
		return &IDTokenError{Endpoint: eps.Token, Status: http.StatusOK, Description: "the ID token was refused: " + why + "; jwtrace does not take this login"}
	}
	if eps.Issuer == "" || eps.JWKS == "" {
		return fail("no issuer and JWKS to verify it with: give --authority so that discovery names them")
	}
	if c.Fetcher == nil {
		return errors.New("login.Client has no Fetcher to verify ID tokens with")
	}
	keys, _, err := c.Fetcher.LoadKeys(ctx, verify.Sources{JWKSURL: eps.JWKS})
	if err != nil {
		return err
	}
	v := &verify.Verifier{Keys: keys, Rules: verify.Rules{
		Issuers: []string{eps.Issuer}, Audiences: []string{req.ClientID}, At: c.now(), Leeway: time.Minute,
	}}
	res := v.Verify(ctx, idToken)
	if !res.Valid {
		return fail(oneLine(res.Summary))
	}
	claims, err := jwtClaims(idToken)
	if err != nil {
		return fail("its claims cannot be read")
	}
	got, _ := claims["nonce"].(string)
	if subtle.ConstantTimeCompare([]byte(got), []byte(nonce)) != 1 {
		return fail("its nonce is not this login's (a replayed or injected ID token)")
	}
	// OpenID Connect Core §3.1.3.7 item 4-5: with several audiences, azp
	// must be the client.
	if auds, ok := claims["aud"].([]any); ok && len(auds) > 1 {
		if azp, _ := claims["azp"].(string); azp != req.ClientID {
			return fail("it has several audiences and its azp is not the client")
		}
	}
	return nil
}

// jwtClaims decodes a JWS's payload (the signature checked elsewhere).
func jwtClaims(compact string) (map[string]any, error) {
	parts := strings.Split(compact, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a compact JWS")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}
