// Package resource is a small OAuth 2.0 resource server: an HTTP service
// that accepts a request only with a valid bearer token (RFC 6750) for its
// audience, from its issuer, signed with the issuer's keys. jwtrace chain's
// tests and jwtrace demo run several of them on loopback.
//
//	pol := verify.Policy{Issuer: verify.List(iss), Audience: verify.List("api://workouts")}
//	h, err := resource.New(resource.Config{Name: "workouts", Policy: pol})
//	srv, err := resource.Start(cfg) // 127.0.0.1:0; srv.URL, srv.Close()
//
// The service is configured with a verify.Policy, the type verify's flags
// and chain files fill. Keys come from the policy's key source (Authority,
// JWKSURL or KeyFiles; none declared: the issuer's OIDC discovery) through
// verify.Fetcher. They are loaded on the first request that carries a
// token, so a service can start before its authority answers; a failed load
// answers 503 and the next request tries again. Loaded keys are kept: a
// token whose kid is unknown makes the key set refetch once (verify), and
// once that has happened a further unknown kid reloads the keys at most once
// per ReloadInterval, so keys that rotate more than once are still found.
//
// Answers (RFC 6750 §3), all application/json (Response) and no-store:
//
//   - no Authorization: Bearer header (none, or another scheme): 401 with
//     WWW-Authenticate: Bearer realm="<realm>" and no error code;
//   - several Authorization headers, "Bearer" without a token, or a token
//     in the query (access_token=...): 400 error="invalid_request";
//   - a token that fails any check but scopes (format, key, signature,
//     issuer, audience, expiry, not-before, issued-at): 401
//     error="invalid_token", error_description = the first failed check's
//     detail;
//   - a valid token without the required scopes: 403
//     error="insufficient_scope", scope="<Policy.Scopes>";
//   - keys that cannot be loaded: 503 error="temporarily_unavailable",
//     Retry-After: 1, no challenge;
//   - accepted: 200 {"service","user" (sub),"aud","scopes"}. With
//     Config.Downstream, the service then calls that URL with the same
//     Authorization header (GET, no redirects followed) and adds
//     "downstream": {"url","status","body" (JSON when the answer is JSON,
//     else a string; at most MaxDownstreamBytes),"truncated",
//     "www_authenticate","error"}. A downstream that fails or answers
//     non-2xx makes the whole answer 502 (this service accepted, the next
//     one did not). Each hop adds one to the Jwtrace-Hops request header;
//     past MaxHops the downstream is not called and the answer is 508.
//
// Every challenge of a 400, 401 or 403 ends with resource_metadata, the
// URL of the service's OAuth 2.0 Protected Resource Metadata (RFC 9728
// §5.1), which the service serves, without a token, at the well-known URL
// built from its resource identifier (§3.1): Config.Resource, or by
// default the URL the request went to (its scheme, Host and path, no
// query), so that a request to /plan names
// /.well-known/oauth-protected-resource/plan, whose resource is .../plan.
// The document (metadata.go) names the issuers as authorization_servers,
// the scopes, the algorithms when the policy declares them, and header as
// the one bearer method.
//
// Challenge values are quoted strings with " and \ escaped and control
// characters dropped; error_description is further kept to the characters
// RFC 6750 §3 allows there (printable ASCII without " and \: a " becomes ',
// a \ becomes /, other characters ?) and to 200 bytes. The JSON body carries
// the description unchanged.
//
// The optional log gets one line per request: time, service, method, path
// (never the query), status, duration, and the user or the reason. The
// token is never logged and never sent anywhere but Config.Downstream.
package resource

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/netx"
	"github.com/jwtrace/jwtrace/verify"
	"github.com/jwtrace/jwtrace/verify/explain"
)

// Limits and defaults.
const (
	// DefaultTimeout bounds each discovery, JWKS and downstream request
	// when Config.Client is nil.
	DefaultTimeout = 5 * time.Second
	// MaxDownstreamBytes is the most of a downstream answer kept.
	MaxDownstreamBytes = 64 << 10
	// MaxHops is the most services one request may pass through before
	// a service stops calling its downstream (a loop in the configuration).
	MaxHops = 8
	// ReloadInterval is the least time between two loads of the keys
	// caused by tokens with unknown kids.
	ReloadInterval = time.Minute
	// HopsHeader counts the services a request has passed through.
	HopsHeader = "Jwtrace-Hops"
)

// Config configures one resource server.
type Config struct {
	// Name is the service name, in answers and the log. Required.
	Name string
	// Realm is the challenge's realm. Default: Name.
	Realm string
	// Policy is where the keys come from and the rules a token must meet.
	// It must declare the issuer (Issuer, or Authority, which then is the
	// issuer too) and the audience; skipping either is refused, a resource
	// server always checks both. With no key source declared, the keys
	// come from the first issuer's OIDC discovery, and the discovery
	// document's issuer, which may differ from it by a trailing slash, is
	// accepted too. Each scope must be an RFC 6749 scope token (printable
	// ASCII, no " or \); a token without all of them gets 403
	// insufficient_scope. Required.
	Policy verify.Policy
	// Downstream, when set, is called after a token is accepted, with the
	// same Authorization header; its answer is part of this one.
	Downstream string
	// Resource is the resource identifier the service's protected
	// resource metadata names (RFC 9728 §2): an http(s) URL without a
	// fragment. The metadata is then served only at the well-known URL
	// built from it. Default: the URL each request went to.
	Resource string
	// AuthorizationServers are the metadata's authorization_servers.
	// Default: the policy's issuers (those without a {tenantid}
	// template).
	AuthorizationServers []string
	// Client makes the discovery, JWKS and downstream requests; it should
	// have a timeout. Default: a client with DefaultTimeout that dials the
	// name localhost only to loopback addresses. The keys follow redirects
	// under verify's URL rules; the downstream call never follows them.
	Client *http.Client
	// AllowHTTP permits plain http:// to hosts other than loopback for
	// the issuer, JWKS and downstream URLs (verify.Fetcher.AllowHTTP).
	// Plain http to 127.0.0.0/8, ::1 and localhost is always allowed.
	AllowHTTP bool
	// Now is the clock for token times and key reloads. Default time.Now.
	Now func() time.Time
	// Log, when set, gets one line per request. Writes are serialised.
	Log io.Writer
}

// Response is the JSON body of every answer.
type Response struct {
	Service string `json:"service"`
	// User is the token's sub, when accepted.
	User string `json:"user,omitzero"`
	// Aud and Scopes are the accepted token's aud and scopes (scope or
	// scp); both are present, perhaps empty, in a 200 or 502 answer.
	Aud    []string `json:"aud,omitzero"`
	Scopes []string `json:"scopes,omitzero"`
	// Error and ErrorDescription explain a refusal (invalid_request,
	// invalid_token, insufficient_scope, temporarily_unavailable).
	Error            string `json:"error,omitzero"`
	ErrorDescription string `json:"error_description,omitzero"`
	// Failed names the failed verify checks of a refused token.
	Failed []string `json:"failed,omitzero"`
	// Scope is the scope a 403 asks for.
	Scope      string      `json:"scope,omitzero"`
	Downstream *Downstream `json:"downstream,omitzero"`
}

// Downstream is what the downstream service answered.
type Downstream struct {
	URL string `json:"url"`
	// Status is the downstream's HTTP status; 0 when the call failed.
	Status int `json:"status,omitzero"`
	// Body is its answer: JSON when it was JSON, else a JSON string.
	Body json.RawMessage `json:"body,omitzero"`
	// Truncated says the answer was longer than MaxDownstreamBytes (Body
	// is then a string of the first bytes).
	Truncated bool `json:"truncated,omitzero"`
	// WWWAuthenticate is the downstream's challenge, if any.
	WWWAuthenticate string `json:"www_authenticate,omitzero"`
	// Error says why the call failed or was not made.
	Error string `json:"error,omitzero"`
}

// handler is the resource server's http.Handler.
type handler struct {
	name, realm string
	scope       string // the required scopes, space-separated
	rules       verify.Rules
	src         verify.Sources
	fetcher     *verify.Fetcher
	downstream  string
	meta        metaConfig
	dsClient    *http.Client
	dsTimeout   time.Duration
	now         func() time.Time

	load chan struct{} // a one-slot semaphore: one key load at a time
	keys atomic.Pointer[keySet]
	// failed and failedAt are the last failed load; the load semaphore
	// guards them.
	failed   error
	failedAt time.Time

	logMu sync.Mutex
	log   io.Writer
}

// keySet is a successful key load.
type keySet struct {
	set     *verify.KeySet
	issuers []string
	loaded  time.Time
}

// New checks cfg and returns the resource server's handler. It makes no
// request: the keys are loaded when the first token arrives.
func New(cfg Config) (http.Handler, error) {
	h, err := newHandler(cfg)
	if err != nil {
		return nil, err
	}
	return h, nil
}

func newHandler(cfg Config) (*handler, error) {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if cfg.Name == "" {
		bad("no Name")
	}
	realm := cfg.Realm
	if realm == "" {
		realm = cfg.Name
	}
	if !printable(realm) {
		bad("the realm %q must be printable ASCII", realm)
	}
	if !printable(cfg.Name) {
		bad("the Name %q must be printable ASCII", cfg.Name)
	}
	pol := cfg.policy()
	if len(pol.Issuer.Value) == 0 {
		bad("no issuer: declare Policy.Issuer or Policy.Authority")
	}
	if len(pol.Audience.Value) == 0 {
		bad("no audience: declare Policy.Audience")
	}
	if pol.SkipIssuer.Value || pol.SkipAudience.Value {
		bad("a resource server checks the issuer and the audience: Policy.SkipIssuer and Policy.SkipAudience are refused")
	}
	rules := pol.Rules()
	for _, s := range rules.Scopes {
		if !scopeToken(s) {
			bad("the scope %q is not an RFC 6749 scope token", s)
		}
	}
	src := pol.Sources()
	for _, u := range []string{src.Authority, src.JWKSURL, cfg.Downstream} {
		if u == "" {
			continue
		}
		if _, err := verify.CheckURL(u, cfg.AllowHTTP); err != nil {
			bad("%v", err)
		}
	}
	meta, err := newMetaConfig(cfg, pol, rules)
	if err != nil {
		bad("%v", err)
	}
	if len(errs) > 0 {
		return nil, errors.New("resource: " + strings.Join(errs, "; "))
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	client := cfg.Client
	if client == nil {
		client = defaultClient()
	}
	// Keys follow redirects only where verify allows; the downstream call
	// follows none, so the token goes to Downstream and nowhere else.
	keyClient, dsClient := *client, *client
	keyClient.CheckRedirect = netx.CheckRedirect(cfg.AllowHTTP)
	dsClient.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	dsTimeout := time.Duration(0)
	if client.Timeout == 0 {
		dsTimeout = DefaultTimeout
	}
	h := &handler{
		name:       cfg.Name,
		realm:      realm,
		scope:      strings.Join(rules.Scopes, " "),
		src:        src,
		fetcher:    &verify.Fetcher{Client: &keyClient, AllowHTTP: cfg.AllowHTTP, Now: now},
		downstream: cfg.Downstream,
		meta:       meta,
		dsClient:   &dsClient,
		dsTimeout:  dsTimeout,
		now:        now,
		load:       make(chan struct{}, 1),
		log:        cfg.Log,
		rules:      rules,
	}
	if err := pol.Validate(); err != nil {
		return nil, fmt.Errorf("resource: %v", explain.Plain.RuleError(err))
	}
	return h, nil
}

// policy is cfg.Policy with its defaults: an Authority declared without
// an Issuer is the issuer too, and with no key source declared the keys
// come from the first issuer's discovery.
func (cfg *Config) policy() verify.Policy {
	p := cfg.Policy
	if !p.Issuer.Set && p.Authority.Set {
		p.Issuer = verify.List(p.Authority.Value)
	}
	if !p.Authority.Set && !p.JWKSURL.Set && !p.KeyFiles.Set && len(p.Issuer.Value) > 0 {
		p.Authority = verify.Some(p.Issuer.Value[0])
	}
	return p
}

// defaultClient is netx's client with DefaultTimeout: the loopback dialer,
// no proxy for loopback, TLS 1.2 or later, the header limit.
func defaultClient() *http.Client {
	c, err := netx.NewClient(netx.Config{Timeout: DefaultTimeout})
	if err != nil {
		panic(err) // only CACerts can fail, and none are given
	}
	return c
}

// answer is what ServeHTTP sends, and what the log says about it.
type answer struct {
	status    int
	challenge string // WWW-Authenticate, if any
	body      Response
	// raw, when set, is sent instead of body (the metadata document).
	raw     []byte
	logNote string
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	a, ok := h.serveMetadata(r)
	if !ok {
		a = h.serve(r)
	}
	if strings.HasPrefix(a.challenge, "Bearer ") {
		if u := h.metadataURL(r); u != "" {
			a.challenge += ", resource_metadata=" + quote(u)
		}
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	if a.challenge != "" {
		hdr.Set("WWW-Authenticate", a.challenge)
	}
	if a.status == http.StatusServiceUnavailable {
		hdr.Set("Retry-After", "1")
	}
	a.body.Service = h.name
	body, err := json.Marshal(a.body)
	if err != nil { // cannot happen: every field marshals
		body = []byte(`{"service":` + strconv.Quote(h.name) + `}`)
	}
	if a.raw != nil {
		body = a.raw
	}
	w.WriteHeader(a.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(append(body, '\n'))
	}
	h.logf(r, a, time.Since(start))
}

// serve decides the answer to r.
func (h *handler) serve(r *http.Request) answer {
	if r.URL.Query().Has("access_token") {
		return h.refuse(http.StatusBadRequest, "invalid_request", "send the token in the Authorization header, not in the URL", nil)
	}
	auth := r.Header.Values("Authorization")
	if len(auth) > 1 {
		return h.refuse(http.StatusBadRequest, "invalid_request", "more than one Authorization header", nil)
	}
	token, ok := decode.BearerToken(firstOrEmpty(auth))
	if len(auth) == 0 || !ok {
		a := answer{status: http.StatusUnauthorized, challenge: "Bearer realm=" + quote(h.realm)}
		a.logNote = "no bearer token"
		return a
	}
	if token == "" {
		return h.refuse(http.StatusBadRequest, "invalid_request", "the Authorization header has no token after Bearer", nil)
	}

	ks, err := h.keySet(r.Context(), nil)
	if err != nil {
		return answer{status: http.StatusServiceUnavailable, logNote: err.Error(), body: Response{
			Error: "temporarily_unavailable", ErrorDescription: "the keys could not be loaded: " + err.Error(),
		}}
	}
	res := h.verify(r.Context(), ks, token)
	if !res.Valid && contains(res.Failed, verify.CheckKey) && ks.set.Refreshed() && h.now().Sub(ks.loaded) >= ReloadInterval {
		// The key set has used its one refetch; the keys may have rotated
		// again since. Load them anew (at most once per ReloadInterval).
		if fresh, err := h.keySet(r.Context(), ks); err == nil && fresh != ks {
			res = h.verify(r.Context(), fresh, token)
		}
	}
	if !res.Valid {
		desc := res.Summary
		for _, c := range res.Checks {
			if c.Status == verify.Fail {
				desc = explain.Plain.Detail(&c)
				break
			}
		}
		if len(res.Failed) == 1 && res.Failed[0] == verify.CheckScopes {
			a := h.refuse(http.StatusForbidden, "insufficient_scope", desc, res.Failed)
			a.body.Scope = h.scope
			return a
		}
		return h.refuse(http.StatusUnauthorized, "invalid_token", desc, res.Failed)
	}

	aud, scopes := claims(token)
	a := answer{status: http.StatusOK, body: Response{User: res.Subject, Aud: aud, Scopes: scopes}}
	a.logNote = "user " + strconv.Quote(res.Subject)
	if h.downstream != "" {
		ds, status := h.callDownstream(r, auth[0])
		a.body.Downstream = ds
		if status != http.StatusOK {
			a.status = status
			a.logNote += "; downstream " + h.downstream + ": " + dsNote(ds)
		}
	}
	return a
}

func (h *handler) verify(ctx context.Context, ks *keySet, token string) *verify.Result {
	rules := h.rules
	rules.Issuers = ks.issuers
	rules.At = h.now()
	v := verify.Verifier{Keys: ks.set, Rules: rules}
	return v.Verify(ctx, token)
}

// refuse is a 400, 401 or 403 with its challenge.
func (h *handler) refuse(status int, code, desc string, failed []string) answer {
	ch := "Bearer realm=" + quote(h.realm) + ", error=" + quote(code)
	if code == "insufficient_scope" && h.scope != "" {
		ch += ", scope=" + quote(h.scope)
	}
	ch += ", error_description=" + quote(describe(desc))
	return answer{status: status, challenge: ch, logNote: code + ": " + desc,
		body: Response{Error: code, ErrorDescription: desc, Failed: failed}}
}

// keySet returns the loaded keys, loading them when there are none or when
// the current ones are stale (then only if ReloadInterval has passed since
// they were loaded or last tried). One load runs at a time; requests that
// waited for a load that failed share its error rather than trying again,
// so a flood of requests makes one request to a slow authority at a time.
func (h *handler) keySet(ctx context.Context, stale *keySet) (*keySet, error) {
	if cur := h.keys.Load(); cur != nil && cur != stale {
		return cur, nil
	}
	began := time.Now()
	select {
	case h.load <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-h.load }()
	cur := h.keys.Load()
	if cur != nil && (cur != stale || h.now().Sub(cur.loaded) < ReloadInterval) {
		return cur, nil
	}
	if h.failedAt.After(began) {
		return nil, h.failed
	}
	ks, err := h.loadKeys(ctx)
	if err != nil {
		h.failed, h.failedAt = err, time.Now()
		if cur != nil {
			// Keep the keys we have; try again after ReloadInterval.
			h.keys.Store(&keySet{set: cur.set, issuers: cur.issuers, loaded: h.now()})
		}
		return nil, err
	}
	h.keys.Store(ks)
	return ks, nil
}

func (h *handler) loadKeys(ctx context.Context) (*keySet, error) {
	set, origin, err := h.fetcher.LoadKeys(ctx, h.src)
	if err != nil {
		return nil, err
	}
	if len(origin.Keys) == 0 {
		msg := "no usable verification key"
		if len(origin.Notes) > 0 {
			msg += ": " + strings.Join(origin.Notes, "; ")
		}
		return nil, errors.New(msg)
	}
	issuers := h.rules.Issuers
	if o := origin.Issuer; o != "" && o != issuers[0] && !strings.Contains(o, "{") {
		// verify.Discover accepted it as the same issuer (a trailing
		// slash apart); the tokens carry the document's spelling.
		issuers = []string{issuers[0], o}
	}
	return &keySet{set: set, issuers: issuers, loaded: h.now()}, nil
}

// callDownstream calls the downstream service with the request's
// Authorization header and returns what it said and the status this
// service answers with: 200, 502, or 508 when the hops run out.
func (h *handler) callDownstream(r *http.Request, authorization string) (*Downstream, int) {
	ds := &Downstream{URL: h.downstream}
	hops, _ := strconv.Atoi(r.Header.Get(HopsHeader))
	if hops < 0 {
		hops = 0
	}
	if hops >= MaxHops {
		ds.Error = fmt.Sprintf("not called: the request has passed through %d services already (a loop?)", hops)
		return ds, http.StatusLoopDetected
	}
	ctx := r.Context()
	if h.dsTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.dsTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.downstream, nil)
	if err != nil {
		ds.Error = err.Error()
		return ds, http.StatusBadGateway
	}
	req.Header.Set("Authorization", authorization)
	req.Header.Set("Accept", "application/json")
	req.Header.Set(HopsHeader, strconv.Itoa(hops+1))
	resp, err := h.dsClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop `Get "url":`, the URL is beside it
		}
		ds.Error = err.Error()
		return ds, http.StatusBadGateway
	}
	defer resp.Body.Close()
	ds.Status = resp.StatusCode
	ds.WWWAuthenticate = strings.Join(resp.Header.Values("WWW-Authenticate"), ", ")
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxDownstreamBytes+1))
	if len(body) > MaxDownstreamBytes {
		body, ds.Truncated = body[:MaxDownstreamBytes], true
	}
	if err != nil {
		ds.Error = "reading the answer: " + err.Error()
	}
	ds.Body = bodyJSON(body, ds.Truncated || err != nil)
	if err != nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return ds, http.StatusBadGateway
	}
	return ds, http.StatusOK
}

// bodyJSON is b itself when it is a whole JSON document of sane depth,
// else b as a JSON string (invalid UTF-8 replaced).
func bodyJSON(b []byte, partial bool) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	if !partial && json.Valid(b) && decode.JSONDepth(b) <= decode.MaxDepth {
		return json.RawMessage(b)
	}
	s, _ := json.Marshal(strings.ToValidUTF8(string(b), "\uFFFD"))
	return s
}

func dsNote(ds *Downstream) string {
	switch {
	case ds.Error != "":
		return ds.Error
	case ds.WWWAuthenticate != "":
		return strconv.Itoa(ds.Status) + " " + ds.WWWAuthenticate
	}
	return strconv.Itoa(ds.Status)
}

// claims reads aud and the scopes of a token that verified (so its payload
// is a JSON object without duplicate names).
func claims(token string) (aud, scopes []string) {
	aud, scopes = []string{}, []string{}
	_, rest, _ := strings.Cut(token, ".")
	payload, _, _ := strings.Cut(rest, ".")
	pb, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return aud, scopes
	}
	obj, _, err := decode.ParseObject(pb)
	if err != nil {
		return aud, scopes
	}
	aud = append(aud, obj.Strings("aud", false)...)
	scopes = append(scopes, obj.Strings("scope", true)...)
	scopes = append(scopes, obj.Strings("scp", true)...)
	return aud, scopes
}

// logf writes the request's log line.
func (h *handler) logf(r *http.Request, a answer, d time.Duration) {
	if h.log == nil {
		return
	}
	line := fmt.Sprintf("%s %s %s %q %d %s %q\n", time.Now().UTC().Format(time.RFC3339),
		h.name, sanitize(r.Method, 16), sanitize(r.URL.Path, 200), a.status, d.Round(time.Millisecond), sanitize(a.logNote, 300))
	h.logMu.Lock()
	defer h.logMu.Unlock()
	_, _ = io.WriteString(h.log, line)
}

// quote makes s an RFC 9110 quoted-string: " and \ escaped, control
// characters dropped, anything beyond ASCII replaced by ?.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		case c < 0x20 || c == 0x7f:
		case c >= 0x80:
			b.WriteByte('?')
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// describe keeps an error_description to RFC 6750 §3's characters
// (%x20-21 / %x23-5B / %x5D-7E) and to 200 bytes.
func describe(s string) string {
	const limit = 200
	var b strings.Builder
	for _, c := range s {
		if b.Len() >= limit {
			return b.String()[:limit-3] + "..."
		}
		switch {
		case c == '"':
			b.WriteByte('\'')
		case c == '\\':
			b.WriteByte('/')
		case c == '\t' || c == '\n' || c == '\r':
			b.WriteByte(' ')
		case c == '—' || c == '–':
			b.WriteByte('-')
		case c < 0x20 || c == 0x7f:
		case c >= 0x80:
			b.WriteByte('?')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// sanitize shortens s to about n bytes for the log (the log quotes it).
func sanitize(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// printable reports whether s is non-empty printable ASCII.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return s != ""
}

// scopeToken reports whether s is an RFC 6749 §3.3 scope-token:
// 1*( %x21 / %x23-5B / %x5D-7E ).
func scopeToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			return false
		}
	}
	return s != ""
}

func firstOrEmpty(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Server is a resource server listening on loopback.
type Server struct {
	// Name is the service's name; URL is http://127.0.0.1:PORT.
	Name, URL string

	srv       *http.Server
	cancel    context.CancelFunc
	done      chan error
	closeOnce sync.Once
	closeErr  error

	// fresh are connections that have not sent a request yet (StateNew).
	// Shutdown waits 5s for those, and clients open them ahead of need,
	// so Close closes them itself.
	mu      sync.Mutex
	fresh   map[net.Conn]struct{}
	closing bool
}

// Start listens on 127.0.0.1:0 and serves the resource server in a
// goroutine until Close.
func Start(cfg Config) (*Server, error) {
	h, err := newHandler(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("resource: %v", explain.Plain.RuleError(err))
	}
	ctx, cancel := context.WithCancel(context.Background())
	errLog := io.Discard
	if cfg.Log != nil {
		errLog = &lockedWriter{h: h}
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		// A request may wait for a key load and a downstream call.
		WriteTimeout: 30 * time.Second,
		IdleTimeout:  60 * time.Second,
		BaseContext:  func(net.Listener) context.Context { return ctx },
		ErrorLog:     log.New(errLog, cfg.Name+": http: ", 0),
	}
	s := &Server{Name: cfg.Name, URL: "http://" + ln.Addr().String(), srv: srv, cancel: cancel, done: make(chan error, 1),
		fresh: map[net.Conn]struct{}{}}
	srv.ConnState = s.connState
	go func() { s.done <- srv.Serve(ln) }()
	return s, nil
}

// Close stops the server: connections that have not sent a request are
// closed, requests in flight are cancelled (a downstream call or key load
// stops), and Close waits up to 5s for them to finish.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		s.mu.Lock()
		s.closing = true
		for c := range s.fresh {
			c.Close()
		}
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			s.closeErr = err
			_ = s.srv.Close()
		}
		if err := <-s.done; err != nil && !errors.Is(err, http.ErrServerClosed) && s.closeErr == nil {
			s.closeErr = err
		}
	})
	return s.closeErr
}

func (s *Server) connState(c net.Conn, st http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case st == http.StateNew && s.closing:
		c.Close()
	case st == http.StateNew:
		s.fresh[c] = struct{}{}
	default:
		delete(s.fresh, c)
	}
}

// lockedWriter sends net/http's own error lines to the handler's log.
type lockedWriter struct{ h *handler }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.h.logMu.Lock()
	defer w.h.logMu.Unlock()
	return w.h.log.Write(p)
}
