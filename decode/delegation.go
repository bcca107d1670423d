package decode

import (
	"encoding/json"
	"fmt"
	"strings"
)

// MaxActDepth bounds how many nested act claims Delegation walks: a
// hostile token can nest them as deep as JSON goes, and no real chain of
// services is that long.
const MaxActDepth = 16

// Delegation is what a token's act, may_act and azp claims say about who
// acts for whom.
//
// RFC 8693 §4.1: act names the party acting on the subject's behalf; a
// chain of delegation nests one act in another, "the outermost act claim
// represents the current actor while nested act claims represent prior
// actors". §4.4: may_act names a party allowed to become the actor. OIDC
// Core §2: azp is the party the token was issued to (in an Azure AD
// on-behalf-of token, the middle-tier service that asked for it).
type Delegation struct {
	// Subject is the token's sub: on whose behalf.
	Subject string `json:"subject,omitempty"`
	// Actors are the act claims in the order they acted: the first actor
	// (the innermost act) first, the current actor (the outermost act)
	// last.
	Actors []Actor `json:"actors,omitempty"`
	// Chain is the delegation in words, in that order: "alice via
	// workouts via workout-log".
	Chain string `json:"chain,omitempty"`
	// Truncated is an act nested deeper than MaxActDepth: the actors
	// beyond were not read.
	Truncated bool `json:"truncated,omitempty"`
	// MayAct is the party the subject allows to act for it (may_act).
	MayAct *Actor `json:"may_act,omitempty"`
	// AuthorizedParty is azp.
	AuthorizedParty string `json:"authorized_party,omitempty"`
	// Problems are act or may_act claims that are not what RFC 8693 §4.1
	// and §4.4 describe (not a JSON object, no sub), one line each.
	Problems []string `json:"problems,omitempty"`
}

// Actor is one act (or may_act) claim: who the actor is. RFC 8693 §4.1:
// sub names it, iss (optionally) the issuer that sub is at; client_id
// (§4.3) names an actor that is an OAuth client.
type Actor struct {
	Sub      string `json:"sub,omitempty"`
	Iss      string `json:"iss,omitempty"`
	ClientID string `json:"client_id,omitempty"`
}

// Name is how the actor is called in a chain: its sub, else its client_id,
// else "an unnamed actor".
func (a Actor) Name() string {
	switch {
	case a.Sub != "":
		return a.Sub
	case a.ClientID != "":
		return a.ClientID
	}
	return "an unnamed actor"
}

// Current is the current actor (the outermost act), or nil.
func (d *Delegation) Current() *Actor {
	if d == nil || len(d.Actors) == 0 {
		return nil
	}
	return &d.Actors[len(d.Actors)-1]
}

// Delegation reads the token's act, may_act and azp claims; nil when it
// has no act and no may_act (azp alone is every client's token, not a
// delegation).
func (t *Token) Delegation() *Delegation {
	if t == nil || t.Claims == nil {
		return nil
	}
	act, hasAct := t.Claims.Get("act")
	mayAct, hasMayAct := t.Claims.Get("may_act")
	if !hasAct && !hasMayAct {
		return nil
	}
	d := &Delegation{}
	d.Subject, _ = t.Claims.String("sub")
	d.AuthorizedParty, _ = t.Claims.String("azp")
	if hasAct {
		d.readActs(act)
		names := []string{d.subjectName()}
		for _, a := range d.Actors {
			names = append(names, a.Name())
		}
		if len(d.Actors) > 0 {
			d.Chain = strings.Join(names, " via ")
			if d.Truncated {
				// The first actors were not read: the chain starts with them.
				d.Chain = names[0] + " via … via " + strings.Join(names[1:], " via ")
			}
		}
	}
	if hasMayAct {
		a, _, problem := readActor(mayAct, "may_act")
		if problem != "" {
			d.Problems = append(d.Problems, problem)
		}
		if a.named() {
			d.MayAct = &a
		}
	}
	return d
}

func (d *Delegation) subjectName() string {
	if d.Subject != "" {
		return d.Subject
	}
	return "the subject"
}

// readActs walks act inside act, at most MaxActDepth levels, and puts the
// actors in the order they acted (innermost first).
func (d *Delegation) readActs(raw json.RawMessage) {
	var outerFirst []Actor
	name := "act"
	for depth := 0; raw != nil; depth++ {
		if depth == MaxActDepth {
			d.Truncated = true
			d.Problems = append(d.Problems, fmt.Sprintf("act is nested more than %d levels deep; jwtrace read the %d most recent actors", MaxActDepth, MaxActDepth))
			break
		}
		a, inner, problem := readActor(raw, name)
		if problem != "" {
			d.Problems = append(d.Problems, problem)
		}
		if !isObject(raw) {
			break
		}
		outerFirst = append(outerFirst, a)
		raw, name = inner, name+".act"
	}
	for i := len(outerFirst) - 1; i >= 0; i-- {
		d.Actors = append(d.Actors, outerFirst[i])
	}
}

func (a Actor) named() bool { return a.Sub != "" || a.ClientID != "" }

func isObject(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '{' }

// readActor reads one act or may_act object, and the act nested in it
// (nil for none). A value that is not an object, or an object that names
// no actor, is a problem.
func readActor(raw json.RawMessage, name string) (a Actor, inner json.RawMessage, problem string) {
	var m map[string]json.RawMessage
	if !isObject(raw) || json.Unmarshal(raw, &m) != nil {
		return a, nil, name + " is not a JSON object (RFC 8693 section 4.1: it holds the actor's claims, such as sub)"
	}
	str := func(k string) string {
		var s string
		if v, ok := m[k]; ok && json.Unmarshal(v, &s) != nil {
			return ""
		}
		return s
	}
	a = Actor{Sub: str("sub"), Iss: str("iss"), ClientID: str("client_id")}
	if !a.named() {
		problem = name + " names no actor (no sub or client_id string)"
	}
	return a, m["act"], problem
}
