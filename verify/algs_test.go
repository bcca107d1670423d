package verify

import (
	"slices"
	"testing"
)

// The literal algorithm lists (literals so that start-up builds nothing)
// are the ones algTable gives.
func TestAlgListsAreTheTables(t *testing.T) {
	for _, c := range []struct {
		name string
		got  []string
		keep func(algInfo) bool
	}{
		{"knownAlgs", knownAlgs, func(algInfo) bool { return true }},
		{"rsaAlgs", rsaAlgs, func(a algInfo) bool { return a.kty == "RSA" }},
		{"edAlgs", edAlgs, func(a algInfo) bool { return a.kty == "OKP" }},
		{"curveAlgs(P-256)", curveAlgs("P-256"), func(a algInfo) bool { return a.curve == "P-256" }},
		{"curveAlgs(P-384)", curveAlgs("P-384"), func(a algInfo) bool { return a.curve == "P-384" }},
		{"curveAlgs(P-521)", curveAlgs("P-521"), func(a algInfo) bool { return a.curve == "P-521" }},
	} {
		if want := algNames(c.keep); !slices.Equal(c.got, want) {
			t.Errorf("%s = %v, algTable gives %v", c.name, c.got, want)
		}
	}
	if got := curveAlgs("P-224"); got != nil {
		t.Errorf("curveAlgs(P-224) = %v, want none", got)
	}
}
