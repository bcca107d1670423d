package authority

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"
)

// MintSpec is what jwtrace mint builds a token from: the claims and header
// before signing. Build assembles them; the caller picks the key and signs
// with Sign.
type MintSpec struct {
	// Claims are the starting claims (a claims file); Build copies them.
	Claims map[string]any
	// IssuedAt, Expires and NotBefore are the iat, exp and nbf claims.
	// nil is the default: iat now, exp an hour from now, no nbf; a
	// default never replaces a time that Claims holds.
	IssuedAt, Expires, NotBefore *MintTime
	// Issuer is iss: nil is DefaultIssuer (when Claims hold no iss), ""
	// leaves Claims' iss (or none) as it is.
	Issuer *string
	// DefaultIssuer is the iss of a token whose Issuer is nil: the
	// authority's, when signing with its key; "" for none.
	DefaultIssuer string
	// Subject is sub ("" for none).
	Subject string
	// Audience is aud: one value gives a string, several an array.
	Audience []string
	// Scope is the scope claim: the values joined with spaces.
	Scope []string
	// KID is the header's kid ("" for the key's own).
	KID string
	// ClaimEdits and HeaderEdits apply last, in order, so they can
	// override or remove anything (alg, kid and typ in the header too).
	ClaimEdits, HeaderEdits []Assignment
}

// MintTime is a time claim's value: left out, an absolute time, or a
// duration from now.
type MintTime struct {
	// Omit leaves the claim out.
	Omit bool
	// At, when not zero, is the time; else it is now plus In.
	At time.Time
	In time.Duration
}

// MintAt is the time t, MintIn d from now, MintOmit no claim.
func MintAt(t time.Time) *MintTime     { return &MintTime{At: t} }
func MintIn(d time.Duration) *MintTime { return &MintTime{In: d} }
func MintOmit() *MintTime              { return &MintTime{Omit: true} }

func (m *MintTime) time(now time.Time) time.Time {
	if !m.At.IsZero() {
		return m.At
	}
	return now.Add(m.In)
}

// Assignment is one --claim or --header edit: Name set to Value, or
// removed.
type Assignment struct {
	Name   string
	Value  any
	Remove bool
}

// ParseAssignment reads NAME=VALUE (a string), NAME:=JSON (any JSON value,
// numbers kept exact; null is json.RawMessage("null")) or -NAME (remove).
func ParseAssignment(a string) (Assignment, error) {
	if name, ok := strings.CutPrefix(a, "-"); ok && name != "" && !strings.ContainsAny(name, "=") {
		return Assignment{Name: name, Remove: true}, nil
	}
	i := strings.IndexByte(a, '=')
	if i <= 0 {
		return Assignment{}, fmt.Errorf("%q: use NAME=VALUE, NAME:=JSON or -NAME", a)
	}
	if a[i-1] == ':' {
		name := a[:i-1]
		if name == "" {
			return Assignment{}, fmt.Errorf("%q: no name before :=", a)
		}
		d := json.NewDecoder(strings.NewReader(a[i+1:]))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			return Assignment{}, fmt.Errorf("%q: the value after := is not JSON: %v", a, err)
		}
		if d.More() {
			return Assignment{}, fmt.Errorf("%q: the value after := holds more than one JSON value", a)
		}
		if v == nil {
			v = json.RawMessage("null")
		}
		return Assignment{Name: name, Value: v}, nil
	}
	return Assignment{Name: a[:i], Value: a[i+1:]}, nil
}

// Build assembles the header and claims of the token spec describes, at
// now, for Sign: the header is {"typ": "JWT"} with the kid and the header
// edits (a removed field is nil, which Sign takes as "leave out", for the
// alg and kid it adds).
func (spec *MintSpec) Build(now time.Time) (header, claims map[string]any) {
	claims = maps.Clone(spec.Claims)
	if claims == nil {
		claims = map[string]any{}
	}
	defaults := map[string]*MintTime{"iat": MintIn(0), "exp": MintIn(time.Hour), "nbf": MintOmit()}
	given := map[string]*MintTime{"iat": spec.IssuedAt, "exp": spec.Expires, "nbf": spec.NotBefore}
	times := map[string]time.Time{}
	for _, name := range []string{"iat", "exp", "nbf"} {
		m := given[name]
		if m == nil {
			if _, inClaims := claims[name]; inClaims {
				continue // the claims' value beats the default
			}
			m = defaults[name]
		}
		if m.Omit {
			delete(claims, name)
		} else {
			times[name] = m.time(now)
		}
	}
	// An exp in the past ("--exp -5m", a token that expired 5 minutes
	// ago) with the default iat (now) would expire before it was issued,
	// which decode flags and no issuer does. Keep the default lifetime
	// instead: iat an hour before exp.
	if exp, ok := times["exp"]; ok && spec.IssuedAt == nil {
		if iat, ok := times["iat"]; ok && exp.Before(iat) {
			times["iat"] = exp.Add(-time.Hour)
		}
	}
	for name, t := range times {
		claims[name] = t.Unix()
	}
	if spec.Subject != "" {
		claims["sub"] = spec.Subject
	}
	switch len(spec.Audience) {
	case 0:
	case 1:
		claims["aud"] = spec.Audience[0]
	default:
		claims["aud"] = append([]string(nil), spec.Audience...)
	}
	if len(spec.Scope) > 0 {
		claims["scope"] = strings.Join(spec.Scope, " ")
	}
	switch {
	case spec.Issuer != nil && *spec.Issuer != "":
		claims["iss"] = *spec.Issuer
	case spec.Issuer != nil:
	case spec.DefaultIssuer != "":
		if _, ok := claims["iss"]; !ok {
			claims["iss"] = spec.DefaultIssuer
		}
	}
	for _, a := range spec.ClaimEdits {
		if a.Remove {
			delete(claims, a.Name)
		} else {
			claims[a.Name] = a.Value
		}
	}
	header = map[string]any{"typ": "JWT"}
	if spec.KID != "" {
		header["kid"] = spec.KID
	}
	for _, a := range spec.HeaderEdits {
		if a.Remove {
			header[a.Name] = nil
		} else {
			header[a.Name] = a.Value
		}
	}
	return header, claims
}
