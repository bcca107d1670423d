package verify

import (
	"encoding/json"

	"github.com/jwtrace/jwtrace/decode"
)

// AppView is a token's claims as a validator library hands them to the
// application (ASP.NET Core's inbound claim map renames sub to
// ClaimTypes.NameIdentifier): what `decode --validator` shows.
type AppView struct {
	Validator string `json:"validator"`
	// Claims are the token's claims in its order, each under the name the
	// application reads it by.
	Claims []AppClaim `json:"claims"`
	// Name is what the application's user name property holds (empty
	// when the claim it reads is absent), when the profile knows.
	Name *AppName `json:"name,omitempty"`
	Note string   `json:"note,omitempty"`
}

// AppClaim is one claim: the token's name, the application's, the value
// (JSON text, as the token has it).
type AppClaim struct {
	Claim  string          `json:"claim"`
	As     string          `json:"as"`
	Mapped bool            `json:"mapped"`
	Value  json.RawMessage `json:"value"`
}

// AppName is the application's user name: Property (User.Identity.Name)
// reads From (a token claim); Value is empty when the token lacks it, and
// Fix says how to read another claim.
type AppName struct {
	Property string `json:"property"`
	From     string `json:"from"`
	Value    string `json:"value"`
	Fix      string `json:"fix,omitempty"`
}

// AppView is claims as the profile's library hands them to the
// application, or nil when the library renames nothing.
func (p *Profile) AppView(claims *decode.Object) *AppView {
	if p == nil || claims == nil || len(p.Claims) == 0 && p.NameFrom == "" {
		return nil
	}
	v := &AppView{Validator: p.Name, Note: p.ClaimsNote, Claims: []AppClaim{}}
	to := make(map[string]string, len(p.Claims))
	for _, m := range p.Claims {
		to[m.From] = m.To
	}
	for _, m := range claims.Members {
		c := AppClaim{Claim: m.Key, As: m.Key, Value: m.Value}
		if t, ok := to[m.Key]; ok && t != m.Key {
			c.As, c.Mapped = t, true
		}
		v.Claims = append(v.Claims, c)
	}
	if p.NameFrom != "" {
		n := &AppName{Property: p.NameProperty, From: p.NameFrom, Fix: p.NameFix}
		if s, ok := claims.String(p.NameFrom); ok {
			n.Value = s
		}
		v.Name = n
	}
	return v
}
