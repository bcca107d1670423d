// Package chain sends one bearer token through a list of services, the way
// a token is passed from service to service, and reports every hop: what
// the server answered, its WWW-Authenticate challenge, and whether the
// rules the hop declares should have accepted the token.
//
// It does not import cobra or lipgloss: cmd reads flags and the chain
// file's path, internal/ui renders the report.
package chain

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/jwtrace/jwtrace/verify"
	"github.com/jwtrace/jwtrace/verify/explain"
)

// Hop is one service the token is sent to.
type Hop struct {
	// Name is the service's name in the report; it defaults to the URL's
	// host.
	Name   string
	Method string
	URL    string
	// Header holds extra request headers. Authorization is jwtrace's: a
	// hop may not set it.
	Header http.Header
	// Body is sent as the request body.
	Body []byte
	// Expect lists the statuses the hop should answer; empty means any 2xx.
	Expect []int
	// Rules are what the hop declares it enforces; nil when it declares
	// none (then jwtrace makes no prediction).
	Rules *Rules
	// Exchange, when not nil, is the exchange performed before the hop is
	// called (exchange.go); nil passes on the token the previous hop
	// received.
	Exchange *Exchange
}

// Rules are a hop's declared policy: what the hop says it enforces and
// where its keys come from (a chain file's defaults: merged with the hop's
// rules:, expanded).
type Rules struct {
	Policy verify.Policy
}

// NewRules is the rules of a hop that declares p.
func NewRules(p verify.Policy) *Rules { return &Rules{Policy: p} }

// Declared reports whether the rules say anything a prediction can use:
// where the keys come from.
func (r *Rules) Declared() bool {
	return r != nil && (r.Policy.Authority.Value != "" || r.Policy.JWKSURL.Value != "")
}

// checked is the policy as verify checks it for a hop: an issuer the hop
// does not declare is issuer (the discovered one; before discovery, the
// authority), or when there is none it is not checked; an audience the hop
// does not declare is not checked. The prediction reports both as not
// declared.
//
// A hop that names a validator gets its library's answer instead
// (verify.Profile's IssuerUnset, AudienceUnset): go-oidc takes the issuer
// from discovery, jose checks none unless configured, PyJWT refuses a
// token with aud when no audience is.
func checked(p verify.Policy, issuer string) verify.Policy {
	if p.Profile() != nil {
		// verifyRules fills the issuer the validator implies.
		return p
	}
	if len(p.Issuer.Value) == 0 {
		if issuer != "" {
			p.Issuer = verify.List(issuer)
		} else {
			p.SkipIssuer = verify.Some(true)
		}
	}
	if len(p.Audience.Value) == 0 {
		p.SkipAudience = verify.Some(true)
	}
	return p
}

// verifyRules turns the declared rules into verify's.
func (r *Rules) verifyRules(discoveredIssuer, jwksURL string) verify.Rules {
	p := checked(r.Policy, discoveredIssuer)
	vr := p.Rules()
	if jwksURL == "" {
		jwksURL = p.JWKSURL.Value
	}
	vr.ImpliedIssuers(discoveredIssuer, jwksURL)
	return vr
}

// Label is the hop's name, or its URL's host and path.
func (h *Hop) Label() string {
	if h.Name != "" {
		return h.Name
	}
	return h.URL
}

// HopError is a hop that cannot be sent (a usage error): its index is
// 1-based.
type HopError struct {
	Index int
	Name  string
	Err   error
}

func (e *HopError) Error() string {
	who := "hop " + strconv.Itoa(e.Index)
	if e.Name != "" {
		who += " (" + e.Name + ")"
	}
	return who + ": " + e.Err.Error()
}

func (e *HopError) Unwrap() error { return e.Err }

// MaxHops bounds a chain: a file or an argument list longer than this is a
// mistake, not a chain.
const MaxHops = 1000

// Check validates hops before anything is sent: URLs (plain http only to
// loopback unless allowHTTP), methods, headers, expected statuses and rules.
func Check(hops []Hop, allowHTTP bool) error {
	if len(hops) == 0 {
		return errors.New("no hop: give service URLs as arguments or a chain file with --file")
	}
	if len(hops) > MaxHops {
		return fmt.Errorf("%d hops; a chain may have at most %d", len(hops), MaxHops)
	}
	for i := range hops {
		if err := hops[i].check(allowHTTP); err != nil {
			return &HopError{Index: i + 1, Name: hops[i].Name, Err: err}
		}
	}
	return nil
}

func (h *Hop) check(allowHTTP bool) error {
	if h.URL == "" {
		return errors.New("url is missing")
	}
	if _, err := verify.CheckURL(h.URL, allowHTTP); err != nil {
		return fmt.Errorf("url: %w", err)
	}
	if h.Method == "" {
		h.Method = http.MethodGet
	}
	if !validToken(h.Method) {
		return fmt.Errorf("method %q is not an HTTP method", h.Method)
	}
	h.Method = strings.ToUpper(h.Method)
	for name, values := range h.Header {
		if !validToken(name) {
			return fmt.Errorf("header name %q is not valid", name)
		}
		if strings.EqualFold(name, "Authorization") {
			return errors.New("the Authorization header is jwtrace's: it carries the token (give the token with --token)")
		}
		for _, v := range values {
			if strings.ContainsAny(v, "\r\n\x00") {
				return fmt.Errorf("header %s: a value may not hold a line break or NUL", name)
			}
		}
	}
	for _, s := range h.Expect {
		if s < 100 || s > 599 {
			return fmt.Errorf("expected status %d is not an HTTP status", s)
		}
	}
	if err := h.Exchange.check(allowHTTP); err != nil {
		return fmt.Errorf("exchange: %w", err)
	}
	if r := h.Rules; r != nil {
		if u := r.Policy.Authority.Value; u != "" {
			if _, err := verify.CheckURL(u, allowHTTP); err != nil {
				return fmt.Errorf("rules: authority: %w", err)
			}
		}
		if u := r.Policy.JWKSURL.Value; u != "" {
			if _, err := verify.CheckURL(u, allowHTTP); err != nil {
				return fmt.Errorf("rules: jwks_url: %w", err)
			}
		}
		p := &r.Policy
		if !r.Declared() && (len(p.Issuer.Value) > 0 || len(p.Audience.Value) > 0 || len(p.Scopes.Value) > 0 || len(p.Algs.Value) > 0 || p.Typ.Value != "" || len(p.Require.Value) > 0) {
			return errors.New("rules: say where the hop's keys come from (authority or jwks_url), or jwtrace cannot predict its answer")
		}
		if r.Declared() {
			if err := validate(r.Policy); err != nil {
				return fmt.Errorf("rules: %w", explain.YAML.RuleError(err))
			}
		}
	}
	return nil
}

// validate is Policy.Validate for a hop (see checked; before discovery the
// authority stands for the issuer it names).
func validate(p verify.Policy) error {
	c := checked(p, p.Authority.Value)
	return c.Validate()
}

// validToken reports whether s is an RFC 9110 token (a method or a header
// name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// ParseHeader parses a curl-style "Name: value" header.
func ParseHeader(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	if !ok || !validToken(name) {
		return "", "", fmt.Errorf("%q: want \"Name: value\"", s)
	}
	return textproto.CanonicalMIMEHeaderKey(name), strings.TrimSpace(value), nil
}

// Expected reports whether status is what the hop should answer.
func (h *Hop) Expected(status int) bool {
	if len(h.Expect) == 0 {
		return status >= 200 && status <= 299
	}
	for _, s := range h.Expect {
		if s == status {
			return true
		}
	}
	return false
}
