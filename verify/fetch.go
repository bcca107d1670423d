package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/netx"
	"github.com/jwtrace/jwtrace/internal/textsafe"
)

// Limits on what jwtrace reads from an authority. Real discovery documents
// are a few KiB and real JWKS a few tens of KiB.
const (
	MaxDiscoveryBytes = 256 << 10
	MaxJWKSBytes      = 1 << 20
	// DefaultTimeout bounds each HTTP request (connection, TLS, headers
	// and body) unless the client sets its own.
	DefaultTimeout = netx.DefaultTimeout
)

// Fetcher gets discovery documents and JWKS over HTTP, with size limits,
// URL rules and an optional on-disk cache.
type Fetcher struct {
	// Client makes the requests. It should have a timeout; cmd builds it
	// with --timeout, --cacert, --insecure and the proxy environment.
	Client *http.Client
	// Cache, when not nil, keeps responses between runs.
	Cache *Cache
	// AllowHTTP permits plain http:// to hosts other than loopback.
	AllowHTTP bool
	// Now is the clock for the cache.
	Now func() time.Time
}

// FetchError means jwtrace could not get what it needed from an authority:
// network failure, timeout, bad status, oversized or malformed body, or a
// discovery document that does not match. cmd maps it to exit 3.
type FetchError struct {
	URL  string
	Err  error
	Hint string
}

// Error is one line (and a hint line): the URL and the error may hold a
// server's bytes (a reason phrase, an error body, a kid, a jwks_uri), so
// line breaks and control characters are escaped and the length bounded.
func (e *FetchError) Error() string {
	msg := textsafe.Line(e.URL, maxURLText) + ": "
	if e.Err != nil {
		msg += textsafe.Line(e.Err.Error(), maxErrorText)
	}
	if e.Hint != "" {
		msg += "\n  hint: " + textsafe.Line(e.Hint, maxErrorText)
	}
	return msg
}

// Bounds on the server text an error shows.
const (
	maxURLText    = 512
	maxErrorText  = 1024
	maxReasonText = 120
	maxBodyText   = 300
)

func (e *FetchError) Unwrap() error { return e.Err }

// URLError is a URL jwtrace refuses to fetch from (a usage error).
type URLError = netx.URLError

// FetchInfo says where a document came from.
type FetchInfo struct {
	URL string `json:"url"`
	// Cached is true when the document came from the on-disk cache.
	Cached bool `json:"cached"`
	// Age is how long ago it was fetched (zero when just fetched).
	Age time.Duration `json:"-"`
	// AgeSeconds is Age in seconds, for JSON.
	AgeSeconds int64 `json:"age_seconds"`
	// Refetched is true when a JWKS was fetched again while verifying,
	// because a token named a kid the first copy lacked (a key rotation):
	// the fields above then describe the refetched copy, and Before the
	// first one.
	Refetched bool `json:"refetched"`
	// RefetchKid is the kid that made the key set refetch (also when the
	// refetch failed).
	RefetchKid string `json:"refetch_kid,omitempty"`
	// RefetchError says why the refetch failed; the keys are then the
	// first copy's.
	RefetchError string `json:"refetch_error,omitempty"`
	// Before is the first copy, when there was a refetch.
	Before *FetchInfo `json:"before_refetch,omitempty"`
}

// CheckURL enforces jwtrace's rules for key URLs: https, or plain http only
// to a loopback host unless allowHTTP (netx.CheckURL, the rules of every
// URL jwtrace sends a request to).
func CheckURL(raw string, allowHTTP bool) (*url.URL, error) { return netx.CheckURL(raw, allowHTTP) }

// get fetches url (or takes it from the cache unless refresh), refusing
// bodies over limit.
func (f *Fetcher) get(ctx context.Context, rawURL string, limit int64, refresh bool) ([]byte, FetchInfo, error) {
	info := FetchInfo{URL: rawURL}
	if _, err := CheckURL(rawURL, f.AllowHTTP); err != nil {
		// The user's own URLs are checked before any request (a usage
		// error); one that gets here came from a discovery document.
		return nil, info, &FetchError{URL: rawURL, Err: err}
	}
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	var stale *cacheEntry
	if f.Cache != nil {
		if e := f.Cache.load(rawURL); e != nil {
			if !refresh && e.fresh(now()) {
				info.Cached = true
				info.Age = now().Sub(time.Unix(e.Fetched, 0))
				info.AgeSeconds = int64(info.Age / time.Second)
				return []byte(e.Body), info, nil
			}
			stale = e
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, info, &FetchError{URL: rawURL, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	if stale != nil && stale.ETag != "" && !refresh {
		req.Header.Set("If-None-Match", stale.ETag)
	}
	client := f.Client
	if client == nil {
		client = netx.Default()
		if f.AllowHTTP {
			c := *client
			c.CheckRedirect = netx.CheckRedirect(true)
			client = &c
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, info, &FetchError{URL: rawURL, Err: netx.Unwrap(err), Hint: netHint(err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified && stale != nil {
		// A 304 without Cache-Control keeps the lifetime the 200 gave.
		ttl := time.Duration(stale.Expires-stale.Fetched) * time.Second
		if resp.Header.Get("Cache-Control") != "" {
			ttl = cacheTTL(resp.Header)
		}
		stale.Fetched = now().Unix()
		stale.Expires = now().Add(ttl).Unix()
		f.Cache.store(stale)
		return []byte(stale.Body), info, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, info, &FetchError{URL: rawURL, Err: statusError(resp)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, info, &FetchError{URL: rawURL, Err: netx.Unwrap(err), Hint: netHint(err)}
	}
	if int64(len(body)) > limit {
		return nil, info, &FetchError{URL: rawURL, Err: fmt.Errorf("the response is larger than %d KiB; jwtrace refuses it", limit>>10)}
	}
	if f.Cache != nil && !noStore(resp.Header) {
		f.Cache.store(&cacheEntry{
			URL:     rawURL,
			Fetched: now().Unix(),
			Expires: now().Add(cacheTTL(resp.Header)).Unix(),
			ETag:    resp.Header.Get("ETag"),
			Body:    string(body),
		})
	}
	return body, info, nil
}

// statusError describes a response other than 200: the status, its
// reason phrase and, when the server sent a short text or JSON body (an
// IdP's "Realm does not exist"), the start of it. All of it is the
// server's text, so it is made one escaped, bounded line.
func statusError(resp *http.Response) error {
	reason := strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)))
	msg := "HTTP " + strconv.Itoa(resp.StatusCode)
	if reason != "" {
		msg += " " + textsafe.Line(reason, maxReasonText)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	ct := strings.ToLower(resp.Header.Get("Content-Type"))
	if text := strings.TrimSpace(string(body)); text != "" && (strings.Contains(ct, "json") || strings.HasPrefix(ct, "text/plain")) {
		msg += "; the server says: " + textsafe.Line(text, maxBodyText)
	}
	return errors.New(msg)
}

// netHint says what to do about a request that got no answer.
func netHint(err error) string {
	switch netx.Classify(err) {
	case netx.KindTimeout:
		return "the server did not answer in time; --timeout sets the limit"
	case netx.KindTLS:
		return "TLS verification failed: --cacert FILE trusts a private CA (--insecure skips verification, never do that in CI)"
	case netx.KindRefused:
		return "nothing is listening there; is the authority running?"
	}
	return ""
}

// Discovery is the part of an OpenID Provider's metadata jwtrace uses.
type Discovery struct {
	Issuer                      string   `json:"issuer"`
	JWKSURI                     string   `json:"jwks_uri"`
	TokenEndpoint               string   `json:"token_endpoint,omitempty"`
	DeviceAuthorizationEndpoint string   `json:"device_authorization_endpoint,omitempty"`
	SigningAlgs                 []string `json:"id_token_signing_alg_values_supported,omitempty"`
}

// DiscoveryURL turns an authority (an issuer, or the full discovery URL)
// into the discovery URL and the issuer the document must name.
func DiscoveryURL(authority string) (discoveryURL, issuer string) {
	const wellKnown = "/.well-known/openid-configuration"
	if i := strings.Index(authority, "/.well-known/"); i >= 0 {
		return authority, authority[:i]
	}
	base := strings.TrimRight(authority, "/")
	return base + wellKnown, authority
}

// Discover fetches the authority's OIDC discovery document and checks that
// its issuer is the authority asked for (OpenID Connect Discovery §4.3).
func (f *Fetcher) Discover(ctx context.Context, authority string) (*Discovery, FetchInfo, error) {
	durl, want := DiscoveryURL(authority)
	body, info, err := f.get(ctx, durl, MaxDiscoveryBytes, false)
	if err != nil {
		var fe *FetchError
		if h := jwksURLHint(authority); h != "" && errors.As(err, &fe) {
			fe.Hint = h
		}
		return nil, info, err
	}
	if err := checkDepth(body); err != nil {
		return nil, info, &FetchError{URL: durl, Err: err}
	}
	var d Discovery
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, info, &FetchError{URL: durl, Err: fmt.Errorf("not a discovery document: %v", err), Hint: jwksURLHint(authority)}
	}
	if d.Issuer == "" || d.JWKSURI == "" {
		return nil, info, &FetchError{URL: durl, Err: errors.New("not a discovery document: it has no issuer or no jwks_uri"),
			Hint: firstNonEmpty(jwksURLHint(authority), "for a JWKS without discovery use --jwks-url")}
	}
	if !sameIssuer(want, d.Issuer) {
		return nil, info, &FetchError{URL: durl,
			Err:  fmt.Errorf("the document names issuer %q, not %q; its keys are not used (OpenID Connect Discovery §4.3)", d.Issuer, want),
			Hint: fmt.Sprintf("if %q is the authority you mean, pass it as --authority", d.Issuer)}
	}
	return &d, info, nil
}

// looksLikeJWKSURL reports whether an authority given for discovery is
// rather a JWKS URL: its last path segment is one a JWKS is served at
// (jwks.json, jwks, keys, certs as Keycloak names it, or any .json that
// is not under /.well-known/).
func looksLikeJWKSURL(authority string) bool {
	u, err := url.Parse(authority)
	if err != nil || strings.Contains(u.Path, "/.well-known/") {
		return false
	}
	last := strings.ToLower(u.Path[strings.LastIndex(u.Path, "/")+1:])
	switch last {
	case "jwks", "jwks.json", "keys", "certs", "jwks_uri":
		return true
	}
	return strings.HasSuffix(last, ".json")
}

func jwksURLHint(authority string) string {
	if looksLikeJWKSURL(authority) {
		return fmt.Sprintf("%s looks like a JWKS URL, not an issuer: use --jwks-url %s", authority, authority)
	}
	return ""
}

func firstNonEmpty(list ...string) string {
	for _, s := range list {
		if s != "" {
			return s
		}
	}
	return ""
}

// sameIssuer compares the authority asked for with a discovery document's
// issuer. A trailing slash is forgiven. Azure AD's multi-tenant documents
// (common, organizations, consumers) name "{tenantid}" in their issuer.
func sameIssuer(want, got string) bool {
	if strings.TrimRight(want, "/") == strings.TrimRight(got, "/") {
		return true
	}
	if strings.Contains(got, "{tenantid}") {
		for _, alias := range []string{"common", "organizations", "consumers"} {
			if strings.TrimRight(strings.Replace(got, "{tenantid}", alias, 1), "/") == strings.TrimRight(want, "/") {
				return true
			}
		}
	}
	return false
}

// JWKS fetches and parses a JWKS. With refresh it skips the cache (and
// refills it). Keys that cannot verify are named in notes.
func (f *Fetcher) JWKS(ctx context.Context, jwksURL string, refresh bool) ([]Key, []string, FetchInfo, error) {
	keys, _, notes, info, err := f.jwks(ctx, jwksURL, refresh)
	return keys, notes, info, err
}

// jwks is JWKS that also returns the keys it refused, so that a token
// naming one is told why rather than "not found".
func (f *Fetcher) jwks(ctx context.Context, jwksURL string, refresh bool) (keys, refused []Key, notes []string, info FetchInfo, err error) {
	body, info, err := f.get(ctx, jwksURL, MaxJWKSBytes, refresh)
	if err != nil {
		return nil, nil, nil, info, err
	}
	if fe := discoveryNotJWKS(body, jwksURL); fe != nil {
		if f.Cache != nil {
			f.Cache.remove(jwksURL)
		}
		return nil, nil, nil, info, fe
	}
	keys, refused, notes, err = parseKeys(body, jwksURL, false)
	if err != nil {
		if f.Cache != nil {
			f.Cache.remove(jwksURL)
		}
		return nil, nil, nil, info, &FetchError{URL: jwksURL, Err: err}
	}
	return keys, refused, notes, info, nil
}

// discoveryNotJWKS recognises an OpenID discovery document (no "keys", a
// jwks_uri) fetched as a JWKS, and says which flags take it: parsed as a
// JWK it would only make "invalid key type" notes.
func discoveryNotJWKS(body []byte, jwksURL string) *FetchError {
	if checkDepth(body) != nil {
		return nil
	}
	var doc struct {
		Keys    json.RawMessage `json:"keys"`
		Issuer  string          `json:"issuer"`
		JWKSURI string          `json:"jwks_uri"`
	}
	if json.Unmarshal(body, &doc) != nil || doc.Keys != nil || doc.JWKSURI == "" {
		return nil
	}
	issuer := doc.Issuer
	if i := strings.Index(jwksURL, "/.well-known/"); i >= 0 {
		// The user's own URL names the issuer they meant; discovery
		// then checks the document's.
		issuer = jwksURL[:i]
	}
	hint := "use --jwks-url " + doc.JWKSURI
	if issuer != "" {
		hint = "use --authority " + issuer + " (or --jwks-url " + doc.JWKSURI + ")"
	}
	return &FetchError{URL: jwksURL, Err: errors.New("this is an OpenID discovery document, not a JWKS"), Hint: hint}
}

// checkDepth refuses JSON nested deeper than any real document.
func checkDepth(b []byte) error {
	if decode.JSONDepth(b) > decode.MaxDepth {
		return fmt.Errorf("the JSON is nested more than %d levels deep; refused", decode.MaxDepth)
	}
	return nil
}
