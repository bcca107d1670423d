package login

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/netx"
	"github.com/jwtrace/jwtrace/verify"
)

// Client authentication methods, by their RFC 8414 §2 names
// (token_endpoint_auth_methods_supported), plus AuthClientAssertion: a
// JWT the caller already has (a federated workload-identity token), sent
// as private_key_jwt sends its own (RFC 7521 §4.2, RFC 7523 §2.2).
const (
	AuthSecretBasic     = "client_secret_basic"
	AuthSecretPost      = "client_secret_post"
	AuthNone            = "none"
	AuthPrivateKeyJWT   = "private_key_jwt"
	AuthClientAssertion = "client_assertion"
)

// AuthMethods are the methods Request.ClientAuth takes.
var AuthMethods = []string{AuthSecretBasic, AuthSecretPost, AuthNone, AuthPrivateKeyJWT, AuthClientAssertion}

// clientAssertionType is RFC 7523 §2.2's client_assertion_type.
const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// ClientKey is a private key jwtrace signs client assertions with
// (private_key_jwt, RFC 7523 §3).
type ClientKey struct {
	JWK jwk.Key
	// Alg is the JWS algorithm (RS256, ES256, EdDSA, ...); KeyID the kid
	// put in the assertion's header ("" for none).
	Alg, KeyID string
	// Thumbprint names the key in the cache's secret tag (RFC 7638).
	Thumbprint string
}

// ParseClientKey reads a private key for private_key_jwt: a PEM (PKCS #8,
// PKCS #1 or SEC 1) or a JWK. kid overrides the JWK's own kid.
func ParseClientKey(b []byte, kid string) (*ClientKey, error) {
	s := strings.TrimSpace(string(b))
	var k jwk.Key
	var err error
	switch {
	case strings.HasPrefix(s, "-----BEGIN"):
		k, err = jwk.ParseKey([]byte(s), jwk.WithPEM(true))
		if err != nil {
			return nil, errors.New("not a PEM private key (PKCS #8, PKCS #1 or SEC 1)")
		}
	case strings.HasPrefix(s, "{"):
		k, err = jwk.ParseKey([]byte(s))
		if err != nil {
			return nil, errors.New("not a JWK (a JWKS with several keys will not do: give the one key)")
		}
	default:
		return nil, errors.New("not a PEM key or a JWK (a PEM file starts with -----BEGIN, a JWK with {)")
	}
	if priv, err := jwk.IsPrivateKey(k); err != nil || !priv {
		return nil, errors.New("it holds a public key; signing a client assertion needs the private key")
	}
	ck := &ClientKey{JWK: k, KeyID: kid}
	if ck.KeyID == "" {
		ck.KeyID, _ = k.KeyID()
	}
	if a, ok := k.Algorithm(); ok {
		ck.Alg = a.String()
	} else {
		switch k.KeyType() {
		case jwa.RSA():
			ck.Alg = "RS256"
		case jwa.EC():
			ck.Alg = "ES256"
			if ek, ok := k.(jwk.ECDSAPrivateKey); ok {
				switch crv, _ := ek.Crv(); crv {
				case jwa.P384():
					ck.Alg = "ES384"
				case jwa.P521():
					ck.Alg = "ES512"
				}
			}
		case jwa.OKP():
			ck.Alg = "EdDSA"
		default:
			return nil, errors.New("a client assertion is signed with an RSA, EC or Ed25519 key, not a secret")
		}
	}
	if tp, err := k.Thumbprint(crypto.SHA256); err == nil {
		ck.Thumbprint = base64.RawURLEncoding.EncodeToString(tp)
	}
	return ck, nil
}

// assertion signs a client assertion for the token endpoint aud (RFC 7523
// §3: iss and sub are the client, aud the token endpoint, exp soon, a jti
// the server can use to refuse a replay).
func (c *Client) assertion(req *Request, aud string) (string, error) {
	k := req.ClientKey
	sa, ok := jwa.LookupSignatureAlgorithm(k.Alg)
	if !ok || sa == jwa.NoSignature() || strings.HasPrefix(k.Alg, "HS") {
		return "", &ConfigError{fmt.Sprintf("--client-key: cannot sign client assertions with %s", k.Alg)}
	}
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	now := c.now()
	claims := map[string]any{
		"iss": req.ClientID, "sub": req.ClientID, "aud": aud,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"jti": base64.RawURLEncoding.EncodeToString(jti),
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	hdr := jws.NewHeaders()
	_ = hdr.Set("typ", "JWT")
	if k.KeyID != "" {
		_ = hdr.Set("kid", k.KeyID)
	}
	b, err := jws.Sign(payload, jws.WithKey(sa, k.JWK, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return "", &ConfigError{fmt.Sprintf("--client-key: cannot sign the client assertion with %s: the key does not fit the algorithm", k.Alg)}
	}
	return string(b), nil
}

// authMethod is the client authentication a request uses at the token
// endpoint: the one asked for, else what the credentials and the
// server's token_endpoint_auth_methods_supported allow. RFC 8414 §2: a
// server that lists none takes client_secret_basic; RFC 6749 §2.3.1: every
// server must take HTTP Basic, so it is the default for a secret.
func authMethod(req *Request, supported []string) string {
	if req.ClientAuth != "" {
		return req.ClientAuth
	}
	switch {
	case req.ClientAssertion != "":
		return AuthClientAssertion
	case req.ClientKey != nil:
		return AuthPrivateKeyJWT
	case req.ClientSecret == "":
		return AuthNone
	}
	has := func(m string) bool {
		for _, s := range supported {
			if s == m {
				return true
			}
		}
		return false
	}
	if len(supported) > 0 && !has(AuthSecretBasic) && has(AuthSecretPost) {
		return AuthSecretPost
	}
	return AuthSecretBasic
}

// authenticate adds the client's credentials to a request for endpoint
// (RFC 6749 §2.3.1; RFC 7523 §2.2). The header is for HTTP Basic.
func (c *Client) authenticate(req *Request, method, endpoint string, form url.Values, h http.Header) error {
	switch method {
	case AuthSecretBasic:
		if req.ClientSecret == "" {
			return &ConfigError{"client_secret_basic needs a client secret: --client-secret, or JWTRACE_CLIENT_SECRET"}
		}
		// RFC 6749 §2.3.1: both are form-encoded first.
		cred := url.QueryEscape(req.ClientID) + ":" + url.QueryEscape(req.ClientSecret)
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
	case AuthSecretPost:
		if req.ClientSecret == "" {
			return &ConfigError{"client_secret_post needs a client secret: --client-secret, or JWTRACE_CLIENT_SECRET"}
		}
		form.Set("client_id", req.ClientID)
		form.Set("client_secret", req.ClientSecret)
	case AuthNone:
		form.Set("client_id", req.ClientID)
	case AuthPrivateKeyJWT:
		if req.ClientKey == nil {
			return &ConfigError{"private_key_jwt needs the client's private key: --client-key FILE"}
		}
		a, err := c.assertion(req, endpoint)
		if err != nil {
			return err
		}
		form.Set("client_id", req.ClientID)
		form.Set("client_assertion_type", clientAssertionType)
		form.Set("client_assertion", a)
	case AuthClientAssertion:
		if req.ClientAssertion == "" {
			return &ConfigError{"client_assertion needs the assertion: --client-assertion FILE, env:NAME or -"}
		}
		form.Set("client_id", req.ClientID)
		form.Set("client_assertion_type", clientAssertionType)
		form.Set("client_assertion", req.ClientAssertion)
	default:
		return &ConfigError{fmt.Sprintf("--client-auth %s: want one of %s", method, strings.Join(AuthMethods, ", "))}
	}
	return nil
}

// addExtra adds the audience, resource and --param values.
func addExtra(req *Request, form url.Values) {
	if req.Audience != "" {
		form.Set("audience", req.Audience)
	}
	if req.Resource != "" {
		form.Set("resource", req.Resource)
	}
	keys := make([]string, 0, len(req.Params))
	for k := range req.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, set := form[k]; !set {
			form[k] = append([]string(nil), req.Params[k]...)
		}
	}
}

// rawResponse is an endpoint's answer: status, media type and body (at
// most maxResponseBytes).
type rawResponse struct {
	status int
	ct     string
	body   []byte
}

// post sends form to endpoint, authenticated with method, and returns the
// answer. A request that gets no answer is a verify.FetchError (a
// RedirectError inside for a redirect elsewhere).
func (c *Client) post(ctx context.Context, hc *http.Client, req *Request, method, endpoint string, form url.Values) (*rawResponse, error) {
	h := http.Header{}
	if err := c.authenticate(req, method, endpoint, form, h); err != nil {
		return nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &ConfigError{fmt.Sprintf("%s is not a URL jwtrace can post to", oneLine(endpoint))}
	}
	for k, v := range h {
		hr.Header[k] = v
	}
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hr.Header.Set("Accept", "application/json")
	resp, err := hc.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, netError(endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, netError(endpoint, err)
	}
	if len(body) > maxResponseBytes {
		return nil, &ServerError{Endpoint: endpoint, Status: resp.StatusCode, Description: fmt.Sprintf("the response is larger than %d bytes", maxResponseBytes)}
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return &rawResponse{status: resp.StatusCode, ct: ct, body: body}, nil
}

// netError is a request that got no answer.
func netError(endpoint string, err error) error {
	var redir *RedirectError
	if errors.As(err, &redir) {
		return &verify.FetchError{URL: endpoint, Err: redir}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch netx.Classify(err) {
	case netx.KindClosed:
		// Go's words for it are "EOF".
		err = errors.New("the server closed the connection without an answer")
	case netx.KindReset:
		err = errors.New("the server reset the connection without an answer")
	}
	return &verify.FetchError{URL: endpoint, Err: err}
}

// fields reads a JSON object or, when the server sent a form (GitHub
// without Accept: application/json), a form body. Numbers come back as
// json.Number, so "3600" and 3600 read alike.
func (r *rawResponse) fields() map[string]any {
	m := map[string]any{}
	if r.ct == "application/x-www-form-urlencoded" {
		vals, err := url.ParseQuery(string(r.body))
		if err != nil {
			return nil
		}
		for k := range vals {
			m[k] = vals.Get(k)
		}
		return m
	}
	d := json.NewDecoder(strings.NewReader(string(r.body)))
	d.UseNumber()
	if d.Decode(&m) != nil {
		return nil
	}
	return m
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// seconds reads a non-negative number of seconds, as a number or a
// string ("3600": several providers send that).
func seconds(m map[string]any, k string) int64 {
	var s string
	switch v := m[k].(type) {
	case json.Number:
		s = v.String()
	case string:
		s = v
	default:
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && f >= 0 && f < 1e12 {
			return int64(f)
		}
		return 0
	}
	return max(n, 0)
}

// oauthError reads an OAuth error answer (RFC 6749 §5.2): any answer with
// an error member (GitHub answers 200 with one while polling), or one
// that is not 2xx. nil for a success.
func (r *rawResponse) oauthError(endpoint string) error {
	m := r.fields()
	code := str(m, "error")
	if code == "" && r.status >= 200 && r.status < 300 {
		return nil
	}
	switch code {
	case "access_denied", "expired_token":
		return &DeniedError{Code: oneLine(code), Description: oneLine(str(m, "error_description"))}
	}
	se := &ServerError{Endpoint: endpoint, Status: r.status, Code: oneLine(code), Description: oneLine(str(m, "error_description")), URI: oneLine(str(m, "error_uri"))}
	if se.Code == "" && len(r.body) > 0 {
		se.Description = excerpt(string(r.body))
	}
	return se
}

// tokenRequest posts a token request (RFC 6749 §4 and §6, RFC 8628 §3.4)
// and reads the token response (§5.1). supported is discovery's
// token_endpoint_auth_methods_supported, for the hint on invalid_client.
func (c *Client) tokenRequest(ctx context.Context, hc *http.Client, req *Request, method string, supported []string, endpoint string, form url.Values, source string) (*Token, error) {
	resp, err := c.post(ctx, hc, req, method, endpoint, form)
	if err != nil {
		return nil, err
	}
	if err := resp.oauthError(endpoint); err != nil {
		addAuthHint(err, method, supported)
		return nil, err
	}
	m := resp.fields()
	if m == nil {
		return nil, &ServerError{Endpoint: endpoint, Status: resp.status, Description: "the token response is not JSON: " + excerpt(string(resp.body))}
	}
	tok := &Token{AccessToken: str(m, "access_token"), TokenType: str(m, "token_type"), RefreshToken: str(m, "refresh_token"),
		IDToken: str(m, "id_token"), Scope: str(m, "scope"), Source: source, Obtained: c.now()}
	if tok.AccessToken == "" {
		return nil, &ServerError{Endpoint: endpoint, Status: resp.status, Description: "the token response has no access_token"}
	}
	for _, name := range []string{"access_token", "refresh_token", "id_token", "token_type", "scope"} {
		if v, ok := m[name]; ok {
			if _, isString := v.(string); !isString {
				return nil, &ServerError{Endpoint: endpoint, Status: resp.status, Description: fmt.Sprintf("%s in the token response is not a string", name)}
			}
		}
	}
	if s := seconds(m, "expires_in"); s > 0 {
		tok.Expiry = c.now().Add(time.Duration(s) * time.Second)
	} else {
		tok.Expiry = jwtExpiry(tok.AccessToken)
	}
	return tok, nil
}

// jwtExpiry is a JWT access token's exp, for a response without
// expires_in, so the cache does not keep the token forever; zero for an
// opaque token.
func jwtExpiry(access string) time.Time {
	d, err := decode.Parse(access, "access_token", decode.Options{Now: time.Now()})
	if err != nil {
		return time.Time{}
	}
	for _, tm := range d.Times {
		if tm.Claim == "exp" {
			return tm.At()
		}
	}
	return time.Time{}
}

// addAuthHint adds to an invalid_client answer (RFC 6749 §5.2: 400 or
// 401) after a secret in one place the other place, when discovery lists
// it: a server that lists both may still take only the one the client is
// registered with (Ory Hydra: the client's token_endpoint_auth_method,
// fosite's client authentication, v2.x).
func addAuthHint(err error, method string, supported []string) {
	var se *ServerError
	if !errors.As(err, &se) || se.Code != "invalid_client" || (se.Status != http.StatusUnauthorized && se.Status != http.StatusBadRequest) {
		return
	}
	other := ""
	switch method {
	case AuthSecretBasic:
		other = AuthSecretPost
	case AuthSecretPost:
		other = AuthSecretBasic
	default:
		return
	}
	if slices.Contains(supported, other) {
		// A wrong secret is the likelier cause; a client registered for
		// the other method is refused with the same error (Hydra).
		se.Hint = "check the client id and secret; if they are right, the authority also takes " + other + ": try --client-auth " + other
	}
}
