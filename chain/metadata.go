package chain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/netx"
	"github.com/jwtrace/jwtrace/internal/textsafe"
	"github.com/jwtrace/jwtrace/verify"
)

// OAuth 2.0 Protected Resource Metadata (RFC 9728): a service publishes
// the authorization servers it takes tokens from, the resource identifier
// its tokens must be for, its scopes and signing algorithms. chain reads a
// hop's metadata when its Bearer challenge names it (resource_metadata,
// RFC 9728 §5.1) or, with Runner.Discover, at the well-known URL under the
// hop's URL (§3.1); it shows it, predicts from it for a hop that declares
// no rules, and names what the token lacks for it.

// WellKnownMetadataPath is the well-known URI of protected resource
// metadata (RFC 9728 §3.1, registered in §8.3).
const WellKnownMetadataPath = "/.well-known/oauth-protected-resource"

// Bounds on a metadata document: real ones are a few hundred bytes.
const (
	// MaxMetadataBytes is the largest document read.
	MaxMetadataBytes = 64 << 10
	// maxMetadataList is the most values kept of each list; the rest
	// are left out with a note.
	maxMetadataList = 32
	// maxMetadataString bounds each string kept.
	maxMetadataString = 2048
	// maxMetadataText bounds the server text a note quotes.
	maxMetadataText = 200
)

// Where a hop's metadata URL came from (Metadata.From).
const (
	MetadataFromChallenge = "challenge"
	MetadataFromWellKnown = "well-known"
)

// Where a hop's prediction rules came from (Result.RulesFrom).
const (
	RulesDeclared = "declared"
	RulesMetadata = "metadata"
)

// Metadata is a hop's protected resource metadata: the fields of RFC 9728
// §2 jwtrace reads, where the document came from, and why it was not
// used.
type Metadata struct {
	// URL is the document's URL; From how jwtrace found it:
	// MetadataFromChallenge (the challenge's resource_metadata) or
	// MetadataFromWellKnown (built from the hop's URL, --discover).
	URL  string `json:"url"`
	From string `json:"from"`
	// Error says why the metadata is not used (not fetched, not a
	// metadata document, or for another resource); the fields below are
	// then what was read, if anything, and nothing is predicted from
	// them.
	Error string `json:"error,omitempty"`

	// Cached says the document came from the on-disk cache (kept as
	// discovery documents are, for as long as its Cache-Control allows),
	// AgeSeconds how long ago it was fetched.
	Cached     bool  `json:"cached,omitempty"`
	AgeSeconds int64 `json:"age_seconds,omitempty"`

	Resource                          string   `json:"resource,omitempty"`
	AuthorizationServers              []string `json:"authorization_servers,omitempty"`
	ScopesSupported                   []string `json:"scopes_supported,omitempty"`
	BearerMethodsSupported            []string `json:"bearer_methods_supported,omitempty"`
	ResourceSigningAlgValuesSupported []string `json:"resource_signing_alg_values_supported,omitempty"`
	ResourceName                      string   `json:"resource_name,omitempty"`
}

// Usable reports whether the metadata was read and is for the hop.
func (m *Metadata) Usable() bool { return m != nil && m.Error == "" }

// metaDoc is a fetched and parsed document (before the §3.3 check, which
// depends on the hop), cached per URL for the run.
type metaDoc struct {
	md    Metadata
	notes []string
	// status is the HTTP status when the server answered other than 200.
	status int
	err    error
}

// MetadataURL is the well-known URL of the metadata of the resource whose
// identifier is resource (RFC 9728 §3.1): the well-known URI string is
// inserted between the host and the path and query; a slash right after
// the host (an empty path) is dropped first, and a fragment, which a
// resource identifier does not have, is not kept.
func MetadataURL(resource string) (string, error) {
	u, err := url.Parse(resource)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("%s is not an http(s) URL", textsafe.Line(resource, maxMetadataText))
	}
	path := u.EscapedPath()
	if path == "/" {
		path = ""
	}
	s := u.Scheme + "://" + u.Host + WellKnownMetadataPath + path
	if u.RawQuery != "" {
		s += "?" + u.RawQuery
	}
	return s, nil
}

// ResourceOf is the resource identifier a well-known metadata URL was
// built from (MetadataURL's inverse), or "" when metadataURL is not of
// that form (a challenge may name any URL).
func ResourceOf(metadataURL string) string {
	u, err := url.Parse(metadataURL)
	if err != nil || u.Host == "" {
		return ""
	}
	rest, ok := strings.CutPrefix(u.EscapedPath(), WellKnownMetadataPath)
	if !ok || (rest != "" && !strings.HasPrefix(rest, "/")) {
		return ""
	}
	s := u.Scheme + "://" + u.Host + rest
	if u.RawQuery != "" {
		s += "?" + u.RawQuery
	}
	return s
}

// SameResource reports whether two resource identifiers are identical
// (RFC 9728 §3.3) up to RFC 3986 §6.2.2-6.2.3 normalisation: the case of
// the scheme and host, a default port spelled or not, and an empty path
// being "/".
func SameResource(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil || ua.Host == "" || ub.Host == "" || ua.Fragment != "" || ub.Fragment != "" {
		return false
	}
	pa, pb := ua.EscapedPath(), ub.EscapedPath()
	if pa == "" {
		pa = "/"
	}
	if pb == "" {
		pb = "/"
	}
	return netx.SameOrigin(ua, ub) && pa == pb && ua.RawQuery == ub.RawQuery
}

// resourceCovers reports whether resource is an identifier the hop's URL
// falls under: the same origin, and a path that is the hop's or a prefix
// of it ending at a "/". RFC 9728 §3.3 asks a resource_metadata document's
// resource to be identical to the URL the request went to; services
// publish one document for all their endpoints (Spring Security's
// OAuth2ProtectedResourceMetadataFilter names the application's base
// URL), so jwtrace accepts the prefix rule that
// draft-mcguinness-oauth-rfc9728bis-01 proposes and that the MCP Python
// SDK's check_resource_allowed (src/mcp/shared/auth_utils.py) applies.
func resourceCovers(resource, hopURL string) bool {
	ur, err1 := url.Parse(resource)
	uh, err2 := url.Parse(hopURL)
	if err1 != nil || err2 != nil || ur.Host == "" || ur.Fragment != "" || !netx.SameOrigin(ur, uh) {
		return false
	}
	if ur.RawQuery != "" && ur.RawQuery != uh.RawQuery {
		return false
	}
	rp, hp := strings.TrimSuffix(ur.EscapedPath(), "/"), uh.EscapedPath()
	return rp == "" || hp == rp || strings.HasPrefix(hp, rp+"/")
}

// readMetadata reads the hop's metadata when its challenge names it or
// Discover is set, notes what stops it being used, predicts from it when
// the hop declares no rules, and names the token's mismatches with it. It
// runs after judge (and judges again when it predicts).
func (r *Runner) readMetadata(ctx context.Context, h *Hop, res *Result) {
	if res.Prediction != nil {
		res.RulesFrom = RulesDeclared
	}
	md := r.hopMetadata(ctx, h, res)
	if md == nil {
		return
	}
	res.Metadata = md
	if !md.Usable() {
		res.Notes = append(res.Notes, "protected resource metadata "+md.URL+" not used: "+md.Error)
		return
	}
	claims := tokenClaimsOf(r.Token)
	// A hop that declares its audience, and whose server answered as
	// those rules predict, has said what it checks aud against: the
	// metadata's resource (a URL, where the audience may be api://…) is
	// then no news.
	declaredAud := h.Rules != nil && len(h.Rules.Policy.Audience.Value) > 0 && res.Agrees != nil && *res.Agrees
	res.Notes = append(res.Notes, mismatches(md, res.Challenge, claims, declaredAud)...)
	if h.Rules.Declared() || r.Fetcher == nil {
		return
	}
	rules, note := metadataRules(md, claims)
	if rules == nil {
		res.Notes = append(res.Notes, "no prediction from the service's metadata: "+note)
		return
	}
	if err := validate(rules.Policy); err != nil {
		res.Notes = append(res.Notes, "no prediction from the service's metadata: "+textsafe.Line(err.Error(), maxMetadataText))
		return
	}
	if _, err := netx.CheckURL(rules.Policy.Authority.Value, r.AllowHTTP); err != nil {
		res.Notes = append(res.Notes, "no prediction from the service's metadata: its authorization server "+textsafe.Line(err.Error(), maxMetadataText))
		return
	}
	res.Prediction = r.predict(ctx, rules)
	if res.Prediction == nil {
		return
	}
	res.RulesFrom = RulesMetadata
	res.Agrees, res.Cause = nil, nil
	r.judge(res)
	if res.Cause != nil && res.Cause.From == "rules" {
		res.Cause.From = RulesMetadata
	}
}

// hopMetadata finds, fetches and checks the hop's metadata; nil when
// there is none to read.
func (r *Runner) hopMetadata(ctx context.Context, h *Hop, res *Result) *Metadata {
	hopURL, err := url.Parse(h.URL)
	if err != nil {
		return nil
	}
	hopURL.Fragment, hopURL.RawFragment = "", ""
	var named string
	if c := res.Challenge; c != nil {
		named = c.Param("resource_metadata")
	}
	if named != "" {
		return r.challengeMetadata(ctx, hopURL, named)
	}
	if !r.Discover || !res.Verdict.Answered() {
		return nil
	}
	// --discover: the hop's URL is taken as the resource identifier; when
	// nothing is published there, the origin's (the MCP authorization
	// spec, 2025-11-25, "Protected Resource Metadata Discovery
	// Requirements", tries the path-inserted URL, then the root).
	ids := []string{hopURL.String()}
	if p := hopURL.EscapedPath(); (p != "" && p != "/") || hopURL.RawQuery != "" {
		ids = append(ids, hopURL.Scheme+"://"+hopURL.Host)
	}
	var md *Metadata
	for _, id := range ids {
		mu, err := MetadataURL(id)
		if err != nil {
			return nil
		}
		md = &Metadata{URL: r.mask(mu), From: MetadataFromWellKnown}
		doc := r.fetchMetadata(ctx, mu)
		if doc.status == http.StatusNotFound && id != ids[len(ids)-1] {
			continue
		}
		r.fill(md, doc, res)
		if md.Error == "" && !SameResource(md.Resource, id) {
			// RFC 9728 §3.3: "If these values are not identical, the
			// data contained in the response MUST NOT be used."
			md.Error = fmt.Sprintf("it names resource %q, not %q, the identifier its URL was built from (RFC 9728 §3.3): it may describe another service", textsafe.Line(md.Resource, maxMetadataText), id)
		}
		break
	}
	return md
}

// challengeMetadata reads the metadata a hop's challenge names.
func (r *Runner) challengeMetadata(ctx context.Context, hopURL *url.URL, named string) *Metadata {
	md := &Metadata{URL: textsafe.Line(named, maxURLShown), From: MetadataFromChallenge}
	mu, err := url.Parse(named)
	if err != nil || mu.Host == "" || mu.Fragment != "" {
		md.Error = "the challenge's resource_metadata is not an absolute URL"
		return md
	}
	if _, err := netx.CheckURL(named, r.AllowHTTP); err != nil {
		md.Error = "the challenge's resource_metadata: " + textsafe.Line(err.Error(), maxMetadataText)
		return md
	}
	if !netx.SameOrigin(hopURL, mu) && !r.namedOrigin(mu) {
		md.Error = fmt.Sprintf("it is on %s, neither the hop's host nor one you named; jwtrace fetches metadata only there (curl it yourself if you trust it)", textsafe.Line(mu.Host, maxMetadataText))
		return md
	}
	doc := r.fetchMetadata(ctx, named)
	r.fill(md, doc, nil)
	if md.Error != "" {
		return md
	}
	// RFC 9728 §3.3: the resource is the identifier the well-known URL
	// was built from, and (for a resource_metadata URL) the URL the
	// request went to, or one it falls under (resourceCovers).
	if id := ResourceOf(named); id != "" && !SameResource(md.Resource, id) {
		md.Error = fmt.Sprintf("it names resource %q, not %q, the identifier its URL was built from (RFC 9728 §3.3): it may describe another service", textsafe.Line(md.Resource, maxMetadataText), id)
	} else if !resourceCovers(md.Resource, hopURL.String()) {
		md.Error = fmt.Sprintf("it names resource %q, which is not the hop's URL %s nor a prefix of it on the same host (RFC 9728 §3.3): it may describe another service", textsafe.Line(md.Resource, maxMetadataText), hopURL.Redacted())
	}
	return md
}

// maxURLShown bounds a server-given URL kept in the report.
const maxURLShown = 512

// fill copies a fetched document into md (masked: the server saw the
// token on the hop's request), or its error.
func (r *Runner) fill(md *Metadata, doc *metaDoc, res *Result) {
	if doc.err != nil {
		md.Error = r.mask(doc.err.Error())
		return
	}
	d := doc.md
	md.Cached, md.AgeSeconds = d.Cached, d.AgeSeconds
	md.Resource, md.ResourceName = r.mask(d.Resource), r.mask(d.ResourceName)
	for _, l := range []struct{ dst, src *[]string }{
		{&md.AuthorizationServers, &d.AuthorizationServers},
		{&md.ScopesSupported, &d.ScopesSupported},
		{&md.BearerMethodsSupported, &d.BearerMethodsSupported},
		{&md.ResourceSigningAlgValuesSupported, &d.ResourceSigningAlgValuesSupported},
	} {
		for _, v := range *l.src {
			*l.dst = append(*l.dst, r.mask(v))
		}
	}
	if res != nil {
		res.Notes = append(res.Notes, doc.notes...)
	}
}

// namedOrigin reports whether u is on an origin the user named
// (MetadataHosts).
func (r *Runner) namedOrigin(u *url.URL) bool {
	for _, o := range r.MetadataHosts {
		if ou, err := url.Parse(o); err == nil && ou.Host != "" && netx.SameOrigin(ou, u) {
			return true
		}
	}
	return false
}

// NamedOrigins are the origins of the hops' URLs and of their declared
// key sources: the hosts the user named, where a challenge's
// resource_metadata may be fetched (Runner.MetadataHosts).
func NamedOrigins(hops []Hop) []string {
	var out []string
	add := func(raw string) {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return
		}
		o := strings.ToLower(u.Scheme + "://" + u.Host)
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	for i := range hops {
		add(hops[i].URL)
		if r := hops[i].Rules; r != nil {
			add(r.Policy.Authority.Value)
			add(r.Policy.JWKSURL.Value)
		}
	}
	return out
}

// fetchMetadata gets and parses a metadata document, once per URL for the
// run. The request carries no Authorization and no header of the hop's;
// it follows redirects only on the same origin.
func (r *Runner) fetchMetadata(ctx context.Context, rawURL string) *metaDoc {
	r.mu.Lock()
	if d, ok := r.meta[rawURL]; ok {
		r.mu.Unlock()
		return d
	}
	r.mu.Unlock()
	d := r.getMetadata(ctx, rawURL)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.meta == nil {
		r.meta = map[string]*metaDoc{}
	}
	if prev, ok := r.meta[rawURL]; ok {
		return prev
	}
	r.meta[rawURL] = d
	return d
}

func (r *Runner) getMetadata(ctx context.Context, rawURL string) *metaDoc {
	client := r.Client
	if client == nil {
		client = netx.Default()
	}
	var cache *verify.Cache
	if r.Fetcher != nil {
		cache = r.Fetcher.Cache
	}
	now := r.now()
	if cache != nil {
		if b, age, ok := cache.Doc(rawURL, now); ok {
			if md, notes, err := ParseMetadata(b); err == nil {
				md.Cached, md.AgeSeconds = true, int64(age/time.Second)
				return &metaDoc{md: *md, notes: notes}
			}
		}
	}
	b, status, header, err := getMetadata(ctx, client, rawURL, r.AllowHTTP)
	if err != nil {
		return &metaDoc{status: status, err: err}
	}
	md, notes, err := ParseMetadata(b)
	if err != nil {
		return &metaDoc{err: err}
	}
	if cache != nil {
		cache.KeepDoc(rawURL, b, header, now)
	}
	return &metaDoc{md: *md, notes: notes}
}

// GetMetadata fetches a metadata document with client: GET, no
// Authorization, redirects followed only on the same origin (and under
// netx's URL rules), at most MaxMetadataBytes, within the client's
// timeout (netx.DefaultTimeout when it has none). status is the HTTP
// status of an answer other than 200. Errors are one escaped line, for
// the user.
func GetMetadata(ctx context.Context, client *http.Client, rawURL string, allowHTTP bool) (body []byte, status int, err error) {
	body, status, _, err = getMetadata(ctx, client, rawURL, allowHTTP)
	return body, status, err
}

// getMetadata is GetMetadata, with the answer's header (for the cache).
func getMetadata(ctx context.Context, client *http.Client, rawURL string, allowHTTP bool) (body []byte, status int, header http.Header, err error) {
	if _, err := netx.CheckURL(rawURL, allowHTTP); err != nil {
		return nil, 0, nil, errors.New(textsafe.Line(err.Error(), maxMetadataText))
	}
	if client.Timeout == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, netx.DefaultTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, 0, nil, errors.New("not a URL jwtrace can request")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "jwtrace-chain")
	c := *client
	var offHost string
	c.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		if len(via) >= netx.MaxRedirects {
			return fmt.Errorf("stopped after %d redirects", netx.MaxRedirects)
		}
		if !netx.SameOrigin(via[0].URL, next.URL) {
			offHost = next.URL.Redacted()
			return http.ErrUseLastResponse
		}
		if _, err := netx.CheckURL(next.URL.String(), allowHTTP); err != nil {
			return err
		}
		return nil
	}
	resp, err := c.Do(req)
	if err != nil {
		_, why := classify(err)
		return nil, 0, nil, errors.New("the request failed: " + textsafe.Line(why, maxMetadataText))
	}
	defer resp.Body.Close()
	if offHost != "" {
		return nil, resp.StatusCode, nil, fmt.Errorf("it redirects to another host (%s); jwtrace follows metadata redirects only on the same host", textsafe.Line(offHost, maxMetadataText))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode, nil, fmt.Errorf("it answered %d, not a metadata document", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxMetadataBytes+1))
	if err != nil {
		return nil, 0, nil, errors.New("the document could not be read: " + textsafe.Line(shortErr(err), maxMetadataText))
	}
	if len(b) > MaxMetadataBytes {
		return nil, 0, nil, fmt.Errorf("the document is larger than %d KiB; refused", MaxMetadataBytes>>10)
	}
	return b, 0, resp.Header, nil
}

// ParseMetadata reads a protected resource metadata document (RFC 9728
// §2): a JSON object with a string resource; the lists are arrays of
// strings. Unknown members are ignored (§2). Lists longer than
// maxMetadataList are cut, with a note. Errors say what is wrong for the
// user, in jwtrace's words.
func ParseMetadata(b []byte) (*Metadata, []string, error) {
	if decode.JSONDepth(b) > decode.MaxDepth {
		return nil, nil, fmt.Errorf("the document is nested more than %d levels deep; refused", decode.MaxDepth)
	}
	if !json.Valid(b) {
		return nil, nil, errors.New("the document is not JSON")
	}
	obj, dups, err := decode.ParseObject(b)
	if err != nil {
		return nil, nil, errors.New("the document is not a JSON object")
	}
	if len(dups) > 0 {
		return nil, nil, fmt.Errorf("the document names %q more than once; refused, as either value could be meant", textsafe.Line(dups[0], maxMetadataText))
	}
	md := &Metadata{}
	var notes []string
	str := func(name string, dst *string) error {
		raw, ok := obj.Get(name)
		if !ok {
			return nil
		}
		if json.Unmarshal(raw, dst) != nil {
			return fmt.Errorf("its %s is not a string", name)
		}
		*dst = textsafe.CutBytes(*dst, maxMetadataString)
		return nil
	}
	list := func(name string, dst *[]string) error {
		raw, ok := obj.Get(name)
		if !ok {
			return nil
		}
		var v []string
		if json.Unmarshal(raw, &v) != nil {
			return fmt.Errorf("its %s is not a list of strings", name)
		}
		if len(v) > maxMetadataList {
			notes = append(notes, fmt.Sprintf("the metadata's %s: %d more values left out", name, len(v)-maxMetadataList))
			v = v[:maxMetadataList]
		}
		for i := range v {
			v[i] = textsafe.CutBytes(v[i], maxMetadataString)
		}
		*dst = v
		return nil
	}
	for _, err := range []error{
		str("resource", &md.Resource),
		str("resource_name", &md.ResourceName),
		list("authorization_servers", &md.AuthorizationServers),
		list("scopes_supported", &md.ScopesSupported),
		list("bearer_methods_supported", &md.BearerMethodsSupported),
		list("resource_signing_alg_values_supported", &md.ResourceSigningAlgValuesSupported),
	} {
		if err != nil {
			return nil, nil, errors.New("not protected resource metadata: " + err.Error())
		}
	}
	if md.Resource == "" {
		return nil, nil, errors.New("not protected resource metadata: it has no resource (RFC 9728 §2 requires one)")
	}
	return md, notes, nil
}

// tokenClaims are the claims the mismatch notes read.
type tokenClaims struct {
	ok          bool
	iss         string
	hasIss      bool
	aud, scopes []string
}

func tokenClaimsOf(token string) tokenClaims {
	var tc tokenClaims
	tok, err := decode.Parse(token, "token", decode.Options{})
	if err != nil || tok.Claims == nil {
		return tc
	}
	tc.ok = true
	tc.iss, tc.hasIss = tok.Claims.String("iss")
	tc.aud = tok.Claims.Strings("aud", false)
	tc.scopes = append(tok.Claims.Strings("scope", true), tok.Claims.Strings("scp", true)...)
	return tc
}

// sameIssuer compares issuer identifiers, a trailing slash forgiven (as
// verify's discovery check does).
func sameIssuer(a, b string) bool { return strings.TrimRight(a, "/") == strings.TrimRight(b, "/") }

// mismatches names what the token lacks for the service its metadata
// describes: an issuer among its authorization servers, its resource in
// aud, the scopes its challenge asks for.
func mismatches(md *Metadata, ch *Challenge, tc tokenClaims, declaredAud bool) []string {
	if !tc.ok {
		return nil
	}
	var notes []string
	q := func(s string) string { return fmt.Sprintf("%q", textsafe.Line(s, maxMetadataText)) }
	if len(md.AuthorizationServers) > 0 && !slices.ContainsFunc(md.AuthorizationServers, func(s string) bool { return tc.hasIss && sameIssuer(s, tc.iss) }) {
		who := "has no iss"
		if tc.hasIss {
			who = "comes from " + q(tc.iss)
		}
		notes = append(notes, fmt.Sprintf("the token %s, not from one of this service's authorization servers (%s): get a token from %s (jwtrace login --protected-resource %s)",
			who, quoteList(md.AuthorizationServers), q(md.AuthorizationServers[0]), textsafe.Line(md.Resource, maxMetadataText)))
	}
	if !declaredAud && !slices.ContainsFunc(tc.aud, func(a string) bool { return a == md.Resource || SameResource(a, md.Resource) }) {
		has := "has no aud"
		if len(tc.aud) > 0 {
			has = "is for " + quoteList(tc.aud)
		}
		notes = append(notes, fmt.Sprintf("the token %s, not for this service's resource %s (RFC 9728): a service that checks aud against it rejects the token; get one for it with jwtrace login --protected-resource %s",
			has, q(md.Resource), textsafe.Line(md.Resource, maxMetadataText)))
	}
	if ch != nil {
		var missing []string
		for _, s := range strings.Fields(ch.Scope()) {
			if !slices.Contains(tc.scopes, s) {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			notes = append(notes, fmt.Sprintf("the token lacks scope %s, which the service's challenge requires (scope=%s): log in again asking for it (--scope %s)",
				quoteList(missing), q(ch.Scope()), textsafe.Line(strings.Join(missing, " "), maxMetadataText)))
		}
	}
	return notes
}

func quoteList(l []string) string {
	out := make([]string, 0, min(len(l), 5))
	for i, s := range l {
		if i == 5 {
			out = append(out, fmt.Sprintf("and %d more", len(l)-i))
			break
		}
		out = append(out, fmt.Sprintf("%q", textsafe.Line(s, maxMetadataText)))
	}
	return strings.Join(out, ", ")
}

// metadataRules are the rules a service's metadata implies: the issuer is
// one of its authorization servers, the keys come from that authority's
// discovery (the one server, or the one the token's iss names among
// several; else the first), the audience is the resource. Not the
// algorithms: resource_signing_alg_values_supported are those the
// resource signs its responses with (RFC 9728 §2), not the ones it
// accepts tokens signed with, so the key decides as for verify. nil and
// why when there are none.
func metadataRules(md *Metadata, tc tokenClaims) (*Rules, string) {
	servers := md.AuthorizationServers
	if len(servers) == 0 {
		return nil, "it names no authorization server, so jwtrace does not know where the keys come from"
	}
	authority := servers[0]
	if tc.hasIss {
		if i := slices.IndexFunc(servers, func(s string) bool { return sameIssuer(s, tc.iss) }); i >= 0 {
			authority = servers[i]
		}
	}
	p := verify.Policy{
		Authority: verify.Some(authority),
		Issuer:    verify.List(servers...),
		Audience:  verify.List(md.Resource),
	}
	return NewRules(p), ""
}
