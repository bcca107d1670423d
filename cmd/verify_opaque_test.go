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
	// Not a bearer token: no word of introspect.
	r := jwtrace(t, context.Background(), verifyEnv(t), verifyArgs("hello world")...)
	if r.code != ExitUsage || strings.Contains(r.errOut, "introspect") {
		t.Errorf("hello world: exit %d\n%s", r.code, r.errOut)
	}
}
