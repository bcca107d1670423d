package verify

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/internal/lazy"
)

// Profile is what one validator library decides by default: the rules a
// service running it enforces where its configuration is silent, how it
// answers a token it refuses, and how it hands claims to the application.
// A hop's (or verify's) declared policy wins over a profile's defaults;
// what it leaves out, the profile supplies (Resolve).
//
// Each profile is modelled from the library's own source or documentation:
// Sources cites the files and the version read, and docs/guide/validators.md
// lists them in a table (TestValidatorsDocumented fails otherwise).
type Profile struct {
	// Name is what validator: takes ("go-oidc").
	Name string `json:"name"`
	// Library is the package and the type or function that validates
	// ("github.com/coreos/go-oidc/v3 oidc.IDTokenVerifier").
	Library string `json:"library"`
	// Version is the version whose source the profile was read from.
	Version string `json:"version"`
	// Sources are the files (path in the library's repository, with the
	// version) or documentation pages the defaults come from.
	Sources []string `json:"sources"`
	// Tested names the real library jwtrace's interop suite checks the
	// profile's predictions against (interop/validators), "" when the
	// profile rests on its sources alone.
	Tested string `json:"tested,omitempty"`

	// Defaults are the library's rules where the service declares none:
	// leeway per claim, whether nbf is checked, whether a future iat
	// rejects, whether exp is required, the typ values that pass, the
	// algorithms when none are configured. Issuer and audience are not
	// set here: IssuerUnset and AudienceUnset say what happens when the
	// service configures none.
	Defaults Policy `json:"defaults"`

	// AlgsFromDiscovery: where the service configures no algorithms and
	// its keys come from an authority, the library takes the algorithms
	// its discovery document lists (id_token_signing_alg_values_supported),
	// those of AlgsSupported only; Defaults.Algs when it lists none.
	AlgsFromDiscovery bool     `json:"algs_from_discovery,omitempty"`
	AlgsSupported     []string `json:"algs_supported,omitempty"`

	// IssuerUnset and AudienceUnset say what the library does when the
	// service configures no issuer (audience).
	IssuerUnset   Unset `json:"issuer_unset"`
	AudienceUnset Unset `json:"audience_unset"`

	// Failure is how a service running the library answers a token it
	// refuses.
	Failure Failure `json:"failure"`

	// Claims is how the library hands claims to the application, when it
	// renames them (ASP.NET Core's inbound claim map); empty when the
	// application reads the token's claims as they are.
	Claims []ClaimMap `json:"claims,omitempty"`
	// ClaimsNote says, in a sentence, what the mapping means for the
	// application ("User.Identity.Name is empty unless ...").
	ClaimsNote string `json:"claims_note,omitempty"`
	// NameFrom is the token claim the application's user name is read
	// from by default (aspnetcore: unique_name, mapped to ClaimTypes.Name),
	// NameProperty what the application calls it (User.Identity.Name), and
	// NameFix the setting that changes it (NameClaimType = "name").
	NameFrom     string `json:"name_from,omitempty"`
	NameProperty string `json:"name_property,omitempty"`
	NameFix      string `json:"name_fix,omitempty"`

	// Words name the library's own settings behind its defaults, by
	// Policy YAML key ("exp_leeway": "ClockSkew"), so that a report can
	// say "aspnetcore accepts tokens up to 5m past exp (ClockSkew)".
	Words map[string]string `json:"settings,omitempty"`
}

// Unset is what a library does about a rule the service does not
// configure.
type Unset string

const (
	// UnsetSkip: the claim is not checked.
	UnsetSkip Unset = "skip"
	// UnsetDiscovered: the issuer is the one of the authority the service
	// is pointed at (its discovery document), and is checked.
	UnsetDiscovered Unset = "discovered"
	// UnsetRejectAll: the library refuses every token (or refuses to
	// start) until the rule is configured.
	UnsetRejectAll Unset = "reject-all"
	// UnsetRejectPresent: a token that carries the claim is refused
	// (PyJWT refuses any token with aud when no audience is given).
	UnsetRejectPresent Unset = "reject-present"
	// UnsetJWKSOrigin: the issuer must be the JWKS URL's origin and "/"
	// (fastify-jwt-jwks).
	UnsetJWKSOrigin Unset = "jwks-origin"
)

// ImpliedIssuers fills the issuer rule a validator implies when the
// policy declares none: the authority's discovered issuer
// (UnsetDiscovered), or the JWKS URL's origin and "/" (UnsetJWKSOrigin).
// The issuer check then says that the validator's default decided.
func (r *Rules) ImpliedIssuers(discovered, jwksURL string) {
	if len(r.Issuers) > 0 || r.SkipIssuer {
		return
	}
	switch r.IssuerUnset {
	case UnsetDiscovered:
		if discovered != "" {
			r.Issuers = []string{discovered}
		}
	case UnsetJWKSOrigin:
		if u, err := url.Parse(jwksURL); err == nil && u.Scheme != "" && u.Host != "" {
			r.Issuers = []string{u.Scheme + "://" + u.Host + "/"}
		}
	}
}

// Failure is how a library answers a refused token.
type Failure struct {
	// Status is the HTTP status of a refused token (401 when zero).
	Status int `json:"status"`
	// StatusByCheck overrides Status for some checks, by check name
	// (Envoy answers 403 for an audience it does not allow).
	StatusByCheck map[string]int `json:"status_by_check,omitempty"`
	// Challenge is the WWW-Authenticate the library sends.
	Challenge ChallengeForm `json:"challenge"`
	// ClaimError is the challenge's error code when a claim rule (a
	// required claim or scope) fails, if it differs from invalid_token
	// (mod_auth_openidc says insufficient_scope).
	ClaimError string `json:"claim_error,omitempty"`
	// Body is the shape of the answer's body: "json", "text", "html" or
	// "empty" ("" when the application decides).
	Body string `json:"body,omitempty"`
}

// ChallengeForm is the form of a library's WWW-Authenticate.
type ChallengeForm string

const (
	// ChallengeRFC6750: Bearer with error="invalid_token" and an
	// error_description (RFC 6750 §3).
	ChallengeRFC6750 ChallengeForm = "rfc6750"
	// ChallengeBare: Bearer (with a realm, perhaps) but no error.
	ChallengeBare ChallengeForm = "bare"
	// ChallengeNone: no WWW-Authenticate at all.
	ChallengeNone ChallengeForm = "none"
	// ChallengeApp: the application writes the answer (the library only
	// returns an error); nothing can be said about it.
	ChallengeApp ChallengeForm = "app"
)

// ClaimMap is one claim as the application reads it: From, the token's
// claim, becomes To.
type ClaimMap struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// ProfileJWTrace is the name of jwtrace's own strict semantics, the
// default when no validator is named.
const ProfileJWTrace = "jwtrace"

// profileIndex holds the profiles by name (profiles.go declares them).
// It and the profiles are built on first use, not at start-up.
var profileIndexOnce lazy.Value[map[string]*Profile]

func profileIndex() map[string]*Profile { return profileIndexOnce.Get(buildProfileIndex) }

func buildProfileIndex() map[string]*Profile {
	ps := profiles()
	m := make(map[string]*Profile, len(ps))
	for _, p := range ps {
		m[p.Name] = p
	}
	return m
}

// LookupProfile is the profile of a validator name (case-insensitive), or
// nil.
func LookupProfile(name string) *Profile {
	return profileIndex()[strings.ToLower(strings.TrimSpace(name))]
}

// Profiles are every profile, by name.
func Profiles() []*Profile {
	out := append([]*Profile(nil), profiles()...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ProfileNames are the profiles' names, sorted.
func ProfileNames() []string {
	var out []string
	for _, p := range Profiles() {
		out = append(out, p.Name)
	}
	return out
}

// StatusFor is the status the library answers when check fails.
func (f Failure) StatusFor(check string) int {
	if s, ok := f.StatusByCheck[check]; ok {
		return s
	}
	if f.Status == 0 {
		return 401
	}
	return f.Status
}

// ProfileSummary is a profile's defaults as plain values: what `jwtrace
// validators` lists.
type ProfileSummary struct {
	ExpLeeway string `json:"exp_leeway"`
	NbfLeeway string `json:"nbf_leeway"`
	// Nbf: "checked" or "not checked"; FutureIat: "rejected" or
	// "accepted"; Exp: "required" or "optional".
	Nbf       string `json:"nbf"`
	FutureIat string `json:"future_iat"`
	Exp       string `json:"exp"`
	// Typ: what the header typ must be ("any", "at+jwt", "JWT or none").
	Typ string `json:"typ"`
	// Algs: the algorithms when none are configured ("any the key fits").
	Algs     string `json:"algs"`
	Issuer   Unset  `json:"issuer_unset"`
	Audience Unset  `json:"audience_unset"`
	// Refusal is the answer to a refused token ("401, Bearer
	// error=invalid_token").
	Refusal string `json:"refusal"`
}

// Summary is the profile's defaults as plain values.
func (p *Profile) Summary() ProfileSummary {
	r := p.Defaults.Rules()
	lw := func(o Opt[time.Duration]) string {
		if o.Set {
			return o.Value.String()
		}
		return r.Leeway.String()
	}
	pick := func(b bool, yes, no string) string {
		if b {
			return yes
		}
		return no
	}
	s := ProfileSummary{
		ExpLeeway: lw(r.ExpLeeway), NbfLeeway: lw(r.NbfLeeway),
		Nbf:       pick(r.SkipNbf, "not checked", "checked"),
		FutureIat: pick(r.AllowFutureIat, "accepted", "rejected"),
		Exp:       pick(r.AllowNoExp, "optional", "required"),
		Typ:       "any",
		Algs:      "any the key fits",
		Issuer:    p.IssuerUnset, Audience: p.AudienceUnset,
	}
	switch {
	case r.Typ != "":
		s.Typ = r.Typ
	case len(r.TypAllowed) > 0:
		s.Typ = strings.Join(r.TypAllowed, ", ") + " or none"
	}
	if len(r.Algs) > 0 {
		s.Algs = strings.Join(r.Algs, ", ")
	}
	f := p.Failure
	switch f.Challenge {
	case ChallengeApp:
		s.Refusal = "the application's"
	default:
		s.Refusal = strconv.Itoa(f.StatusFor(""))
		switch f.Challenge {
		case ChallengeRFC6750:
			s.Refusal += `, Bearer error="invalid_token"`
		case ChallengeBare:
			s.Refusal += ", Bearer (no error)"
		case ChallengeNone:
			s.Refusal += ", no challenge"
		}
		for _, c := range sortedKeys(f.StatusByCheck) {
			s.Refusal += fmt.Sprintf("; %d for %s", f.StatusByCheck[c], c)
		}
		if f.ClaimError != "" {
			s.Refusal += "; " + f.ClaimError + " for a claim rule"
		}
	}
	return s
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
