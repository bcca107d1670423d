package decode

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// Kinds of ClaimChange.
const (
	ClaimAdded   = "added"
	ClaimRemoved = "removed"
	ClaimChanged = "changed"
)

// ClaimChange is one claim that differs between two claim sets: the
// token given to an exchange and the one it issued, say.
type ClaimChange struct {
	Claim string `json:"claim"`
	// Change is ClaimAdded, ClaimRemoved or ClaimChanged.
	Change string `json:"change"`
	// Before and After are the claim's JSON values (absent when added or
	// removed).
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}

// diffFirst are the claims an exchange is about, listed first in that
// order (RFC 8693 §2.1 and §4: the audience, scope and actor change; sub
// should not).
var diffFirst = []string{"sub", "aud", "scope", "scp", "act", "may_act", "azp", "client_id", "iss", "exp", "nbf", "iat"}

// CompareClaims lists what changed from before to after, claim by claim:
// the claims of diffFirst first, then the others in after's order, then
// the removed ones in before's. Values are compared as JSON values (key
// order and spacing do not count). unchanged names the claims both have
// alike, in the same order. A nil object has no claims.
func CompareClaims(before, after *Object) (changes []ClaimChange, unchanged []string) {
	var names []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	for _, n := range diffFirst {
		if before.Has(n) || after.Has(n) {
			add(n)
		}
	}
	if after != nil {
		for _, m := range after.Members {
			add(m.Key)
		}
	}
	if before != nil {
		for _, m := range before.Members {
			add(m.Key)
		}
	}
	for _, n := range names {
		b, inBefore := before.Get(n)
		a, inAfter := after.Get(n)
		switch {
		case inBefore && !inAfter:
			changes = append(changes, ClaimChange{Claim: n, Change: ClaimRemoved, Before: b})
		case !inBefore && inAfter:
			changes = append(changes, ClaimChange{Claim: n, Change: ClaimAdded, After: a})
		case sameJSON(b, a):
			unchanged = append(unchanged, n)
		default:
			changes = append(changes, ClaimChange{Claim: n, Change: ClaimChanged, Before: b, After: a})
		}
	}
	return changes, unchanged
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var va, vb any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if da.Decode(&va) != nil || db.Decode(&vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}
