package cmd

import (
	"context"
	"strings"
	"testing"
)

// --scope and --alg read a value as a chain file's scopes: and algs: do
// (verify.Policy): "a b" is two scopes, not one that no token can carry
// (an RFC 6749 scope token has no space).
func TestVerifyScopeListsSplitAtSpaces(t *testing.T) {
	t.Parallel()
	args := []string{"verify", "--at", "2026-11-27T10:30:00Z", "--key", "../testdata/keys/ec-public.pem", "--issuer", "https://auth.example.com/",
		"--audience", "https://api.example.com/orders", "--allow-no-exp", "--file", "../testdata/tokens/es256-no-exp.jwt"}
	r := jwtrace(t, context.Background(), verifyEnv(t), append(args, "--scope", "orders.read billing.read", "--alg", "ES256 RS256")...)
	if r.code != ExitOK || !strings.Contains(r.out, "orders.read billing.read") {
		t.Fatalf("exit %d, want %d:\n%s%s", r.code, ExitOK, r.out, r.errOut)
	}
	r = jwtrace(t, context.Background(), verifyEnv(t), append(args, "--scope", "orders.read orders.write")...)
	if r.code != ExitRejected || !strings.Contains(r.out, "orders.write") {
		t.Fatalf("exit %d, want %d:\n%s%s", r.code, ExitRejected, r.out, r.errOut)
	}
}
