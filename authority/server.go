package authority

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/jwtrace/jwtrace/internal/textsafe"
)

// maxBody bounds every request body.
const maxBody = 64 << 10

// Endpoint paths, below the issuer's path.
const (
	PathDiscovery     = "/.well-known/openid-configuration"
	PathOAuthMetadata = "/.well-known/oauth-authorization-server"
	PathJWKS          = "/jwks.json"
	PathToken         = "/token"
	PathDeviceAuth    = "/device_authorization"
	PathDevice        = "/device"
	PathAuthorize     = "/authorize"
	PathIntrospect    = "/introspect"
	PathUserinfo      = "/userinfo"
	PathRevoke        = "/revoke"
)

// Handler serves the authority's endpoints below the issuer's path. It
// can be used without Serve (in an httptest.Server, say) when Config.URL
// is set; otherwise endpoint URLs are taken from each request's Host.
//
// Once the URL is known (Config.URL, or Serve), it answers only requests
// whose Host is the URL's host and port, or a loopback name or address
// (localhost, 127.0.0.0/8, [::1]) with any port; others get 421
// Misdirected Request. So a web page whose name resolves to loopback (DNS
// rebinding) cannot drive the device flow or the approval page.
func (a *Authority) Handler() http.Handler {
	mux := http.NewServeMux()
	p := a.prefix
	mux.HandleFunc(p+PathDiscovery, a.discovery)
	mux.HandleFunc(p+PathOAuthMetadata, a.discovery)
	mux.HandleFunc(p+PathJWKS, a.jwks)
	mux.HandleFunc(p+PathToken, a.token)
	mux.HandleFunc(p+PathDeviceAuth, a.deviceAuthorization)
	mux.HandleFunc(p+PathDevice, a.devicePage)
	mux.HandleFunc(p+PathAuthorize, a.authorize)
	mux.HandleFunc(p+PathIntrospect, a.introspect)
	mux.HandleFunc(p+PathUserinfo, a.userinfo)
	mux.HandleFunc(PathResourceMetadata+p+PathUserinfo, a.userinfoMetadata)
	mux.HandleFunc(p+PathRevoke, a.revoke)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		logf(r, "not found")
		http.Error(w, "404 not found: the authority serves "+p+PathDiscovery, http.StatusNotFound)
	})
	return a.logRequests(a.checkHost(mux))
}

// checkHost answers 421 to requests for another host (see Handler).
func (a *Authority) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := a.URL(); u != "" && !hostAllowed(u, r.Host) {
			logf(r, "misdirected host=%s", logValue(r.Host))
			http.Error(w, "421 misdirected request: this authority answers for "+u+" and loopback names only, not for host "+strconv.Quote(r.Host), http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostAllowed reports whether a request's Host header names the
// authority at base (host and port; a missing port is the scheme's), or
// is localhost or a loopback address with any port.
func hostAllowed(base, hostport string) bool {
	host, port := splitHost(hostport)
	if host == "localhost" {
		return true
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return true
	}
	u, err := url.Parse(base)
	if err != nil || host == "" {
		return false
	}
	want, wantPort := splitHost(u.Host)
	if wantPort == "" {
		wantPort = defaultPort(u.Scheme)
	}
	if port == "" {
		port = defaultPort(u.Scheme)
	}
	return host == want && port == wantPort
}

// splitHost splits a host[:port], lower-casing the host and dropping
// brackets and a trailing dot.
func splitHost(hostport string) (host, port string) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]"), ""
	}
	return strings.ToLower(strings.TrimSuffix(host, ".")), port
}

func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}

// logEntry is what a handler tells the request log.
type logEntry struct {
	client string
	result string
}

type logKey struct{}

// logf records the request's outcome for the log line.
func logf(r *http.Request, format string, args ...any) {
	if e, ok := r.Context().Value(logKey{}).(*logEntry); ok {
		e.result = fmt.Sprintf(format, args...)
	}
}

// logClient records the client the request came from.
func logClient(r *http.Request, id string) {
	if e, ok := r.Context().Value(logKey{}).(*logEntry); ok {
		e.client = id
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

var logMu sync.Mutex

// logRequests writes one line per request to Config.Log: time, method,
// path, status, client and result. Values from the request are quoted
// when they hold spaces or unprintable characters.
func (a *Authority) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := &logEntry{}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				// Never take the server down; say what happened.
				if sw.status == 0 {
					http.Error(sw, "500 internal error", http.StatusInternalServerError)
				}
				e.result = fmt.Sprintf("panic: %v", v)
			}
			if a.cfg.Log == nil {
				return
			}
			line := fmt.Sprintf("%s %s %s %d", a.cfg.Now().UTC().Format(time.RFC3339), logValue(r.Method), logValue(r.URL.Path), sw.status)
			if e.client != "" {
				line += " client=" + logValue(e.client)
			}
			if e.result != "" {
				line += " " + e.result
			}
			logMu.Lock()
			fmt.Fprintln(a.cfg.Log, line)
			logMu.Unlock()
		}()
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), logKey{}, e)))
	})
}

// logValue quotes s when it is empty or holds spaces or unprintable
// characters, and cuts it at 100 characters.
func logValue(s string) string {
	if len(s) > 100 {
		s = textsafe.CutBytes(s, 100)
	}
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) || r == '"' }) {
		return strconv.Quote(s)
	}
	return s
}

// base is the URL the endpoints live under, with the issuer's path.
func (a *Authority) base(r *http.Request) string {
	u := a.URL()
	if u == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		u = scheme + "://" + r.Host
	}
	return u + a.prefix
}

// issuerFor is the issuer, falling back to the request's URL.
func (a *Authority) issuerFor(r *http.Request) string {
	if iss := a.Issuer(); iss != "" {
		return iss
	}
	return a.base(r)
}

// Discovery is the OpenID Provider metadata the authority serves.
type Discovery struct {
	Issuer                            string   `json:"issuer"`
	JWKSURI                           string   `json:"jwks_uri"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	IntrospectionEndpoint             string   `json:"introspection_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	AuthorizationResponseIss          bool     `json:"authorization_response_iss_parameter_supported"`
	TokenEndpointAuthSigningAlgs      []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
}

// Discovery returns the metadata for a server reached at the authority's
// URL.
func (a *Authority) Discovery() Discovery { return a.discoveryFor(a.URL() + a.prefix) }

func (a *Authority) discoveryFor(base string) Discovery {
	var algs []string
	for _, k := range a.keys() {
		if !slices.Contains(algs, k.Alg) {
			algs = append(algs, k.Alg)
		}
	}
	slices.Sort(algs)
	iss := a.Issuer()
	if iss == "" {
		iss = base
	}
	return Discovery{
		Issuer:                            iss,
		JWKSURI:                           base + PathJWKS,
		TokenEndpoint:                     base + PathToken,
		DeviceAuthorizationEndpoint:       base + PathDeviceAuth,
		AuthorizationEndpoint:             base + PathAuthorize,
		IntrospectionEndpoint:             base + PathIntrospect,
		UserinfoEndpoint:                  base + PathUserinfo,
		RevocationEndpoint:                base + PathRevoke,
		CodeChallengeMethodsSupported:     []string{"S256"},
		AuthorizationResponseIss:          true,
		TokenEndpointAuthSigningAlgs:      assertionAlgs,
		GrantTypesSupported:               []string{GrantAuthorizationCode, GrantClientCredentials, GrantDeviceCode, GrantRefreshToken, GrantTokenExchange, GrantJWTBearer},
		ResponseTypesSupported:            []string{"code"},
		SubjectTypesSupported:             []string{"public"},
		IDTokenSigningAlgValuesSupported:  algs,
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "none"},
		ScopesSupported:                   []string{"openid", "profile", "email", "offline_access"},
		ClaimsSupported:                   []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "auth_time", "nonce", "client_id", a.cfg.ScopeClaim, "name", "email", "email_verified"},
	}
}

func (a *Authority) discovery(w http.ResponseWriter, r *http.Request) {
	if !allowGet(w, r) {
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, a.discoveryFor(a.base(r)))
}

func (a *Authority) jwks(w http.ResponseWriter, r *http.Request) {
	if !allowGet(w, r) {
		return
	}
	set, err := a.JWKS()
	if err != nil {
		logf(r, "error: %v", err)
		http.Error(w, "500 internal error", http.StatusInternalServerError)
		return
	}
	logf(r, "%d keys", set.Len())
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Content-Type", "application/jwk-set+json")
	b, _ := json.Marshal(set)
	w.Write(append(b, '\n'))
}

func allowGet(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	logf(r, "method not allowed")
	http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	e := json.NewEncoder(w)
	e.SetEscapeHTML(false)
	_ = e.Encode(v)
}

// Error is an OAuth 2.0 error response (RFC 6749 section 5.2, RFC 8628
// section 3.5).
type Error struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	// Status is the HTTP status code.
	Status int `json:"-"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Description }

func oauthErr(status int, code, format string, args ...any) *Error {
	return &Error{Code: code, Description: fmt.Sprintf(format, args...), Status: status}
}

func invalidRequest(format string, args ...any) *Error {
	return oauthErr(http.StatusBadRequest, "invalid_request", format, args...)
}

func invalidClient(format string, args ...any) *Error {
	return oauthErr(http.StatusUnauthorized, "invalid_client", format, args...)
}

func invalidGrant(format string, args ...any) *Error {
	return oauthErr(http.StatusBadRequest, "invalid_grant", format, args...)
}

// writeError sends err as an OAuth error response; a 401 carries
// WWW-Authenticate: Basic (RFC 6749 section 5.2).
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var oe *Error
	if !errors.As(err, &oe) {
		oe = oauthErr(http.StatusInternalServerError, "server_error", "%v", err)
	}
	if oe.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="jwtrace authority", charset="UTF-8"`)
	}
	logf(r, "error=%s", oe.Code)
	writeJSON(w, oe.Status, oe)
}

// multiValued are the parameters that may be repeated (RFC 8707).
var multiValued = []string{"resource", "audience"}

// readForm reads a POSTed application/x-www-form-urlencoded body of at
// most maxBody bytes, refusing repeated parameters (RFC 6749 section 3.2).
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		return nil, oauthErr(http.StatusMethodNotAllowed, "invalid_request", "use POST, not %s", r.Method)
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, invalidRequest("the body must be application/x-www-form-urlencoded")
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, oauthErr(http.StatusRequestEntityTooLarge, "invalid_request", "the body is larger than %d bytes", maxBody)
		}
		return nil, invalidRequest("cannot read the body: %v", err)
	}
	form, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, invalidRequest("the body is not form-encoded: %v", err)
	}
	for k, vs := range form {
		if len(vs) > 1 && !slices.Contains(multiValued, k) {
			return nil, invalidRequest("parameter %s is given %d times", logValue(k), len(vs))
		}
	}
	return form, nil
}

// authenticateClient finds the calling client: HTTP Basic
// (client_secret_basic), client_id and client_secret in the body
// (client_secret_post), a signed client assertion (private_key_jwt, RFC
// 7523 §2.2), or client_id alone for a public client.
func (a *Authority) authenticateClient(r *http.Request, form url.Values) (*Client, error) {
	id, secret := form.Get("client_id"), form.Get("client_secret")
	_, hasSecret := form["client_secret"]
	if t, ok := form["client_assertion_type"]; ok {
		switch {
		case t[0] != ClientAssertionType:
			return nil, invalidClient("client_assertion_type must be %s", ClientAssertionType)
		case r.Header.Get("Authorization") != "" || hasSecret:
			return nil, invalidRequest("use one client authentication method: a client assertion, HTTP Basic or client_secret, not several")
		case form.Get("client_assertion") == "":
			return nil, invalidClient("client_assertion is missing")
		}
		return a.clientAssertion(r, form, form.Get("client_assertion"))
	}
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, cred, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Basic") {
			return nil, invalidClient("client authentication must use HTTP Basic, not %s", logValue(scheme))
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		u, p, ok := strings.Cut(string(raw), ":")
		if err != nil || !ok {
			return nil, invalidClient("the Basic credentials are not base64 of client_id:client_secret")
		}
		// RFC 6749 section 2.3.1: both are form-encoded first.
		bu, err1 := url.QueryUnescape(u)
		bp, err2 := url.QueryUnescape(p)
		if err1 != nil || err2 != nil {
			return nil, invalidClient("the Basic credentials are not form-encoded")
		}
		if hasSecret {
			return nil, invalidRequest("use one client authentication method: HTTP Basic or client_secret in the body, not both")
		}
		if id != "" && id != bu {
			return nil, invalidRequest("client_id in the body differs from the one in HTTP Basic")
		}
		id, secret, hasSecret = bu, bp, true
	}
	if id == "" {
		return nil, invalidClient("no client authentication: send client_id (and client_secret for a confidential client)")
	}
	logClient(r, id)
	c := a.clients[id]
	switch {
	case c == nil:
		return nil, invalidClient("unknown client %s", logValue(id))
	case c.Public() && hasSecret:
		return nil, invalidClient("client %s is public and has no secret", logValue(id))
	case c.Secret == "" && len(c.JWKS) > 0:
		return nil, invalidClient("client %s authenticates with a client assertion signed by one of its keys (private_key_jwt)", logValue(id))
	case !c.Public() && !hasSecret:
		return nil, invalidClient("client %s is confidential: authenticate with its secret", logValue(id))
	case !c.Public() && !secretEqual(secret, c.Secret):
		return nil, invalidClient("wrong secret for client %s", logValue(id))
	}
	return c, nil
}
