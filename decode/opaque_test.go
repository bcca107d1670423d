package decode

import (
	"strings"
	"testing"
)

// Ory Hydra's opaque tokens (ory_at_<43>.<43>) have a dot; decode says they
// are opaque, not "no JWT found", and leaves host names and cut JWTs alone.
func TestDottedOpaqueTokens(t *testing.T) {
	hydra := "ory_at_" + strings.Repeat("x", 43) + "." + strings.Repeat("y", 43)
	for s, want := range map[string]bool{
		hydra:                       true,
		"hello.world.example.com":   false,
		"eyJhbGciOiJSUzI1NiJ9.eyJz": false,
		"IHsiYWxnIjoiUlMyNTYifQ.eyJzdWIiOiJhIn0xxxxx": false, // " {"alg":"RS256"}: a header after whitespace
		"2YotnFZFEjr1zCsicMWpAA":                      false, // no dot: the other case
	} {
		if got := DottedOpaque(s); got != want {
			t.Errorf("DottedOpaque(%q) = %v, want %v", s, got, want)
		}
	}
	_, err := Extract([]byte(hydra))
	if err == nil || !strings.Contains(err.Error(), "opaque value of 94 characters") {
		t.Errorf("Extract(hydra) = %v", err)
	}
}
