package cmd

import (
	"context"
	"strings"
	"testing"
)

// Issue 17: verify on an opaque access token points at introspect, and
// still exits 2 with decode's words.
func TestVerifyOnAnOpaqueTokenPointsAtIntrospect(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"Bearer 2YotnFZFEjr1zCsicMWpAA", "2YotnFZFEjr1zCsicMWpAA"} {
		r := jwtrace(t, context.Background(), verifyEnv(t), verifyArgs(in)...)
		if r.code != ExitUsage || !strings.Contains(r.errOut, "opaque value of 22 characters") ||
			!strings.Contains(r.errOut, "looks like an opaque access token") ||
			!strings.Contains(r.errOut, "jwtrace introspect --authority URL --client-id ID") {
			t.Errorf("%q: exit %d\n%s", in, r.code, r.errOut)
		}
	}
	// Ory Hydra's opaque tokens have one dot: still opaque. A JWT cut short
	// is not.
	hydra := "ory_at_" + strings.Repeat("x", 43) + "." + strings.Repeat("y", 43)
	if r := jwtrace(t, context.Background(), verifyEnv(t), verifyArgs(hydra)...); r.code != ExitUsage || !strings.Contains(r.errOut, "looks like an opaque access token") {
		t.Errorf("a Hydra token: exit %d\n%s", r.code, r.errOut)
	}
	cut := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9"
	if r := jwtrace(t, context.Background(), verifyEnv(t), verifyArgs(cut)...); r.code != ExitUsage || strings.Contains(r.errOut, "opaque access token") {
		t.Errorf("a JWT cut short: exit %d\n%s", r.code, r.errOut)
	}
	// Not a bearer token: no word of introspect.
	r := jwtrace(t, context.Background(), verifyEnv(t), verifyArgs("hello world")...)
	if r.code != ExitUsage || strings.Contains(r.errOut, "introspect") {
		t.Errorf("hello world: exit %d\n%s", r.code, r.errOut)
	}
}
