package interop

import "testing"

// TestAnotherAuthoritysToken: a token from one authority is refused by
// verify against the other, even when the audience is the one asked for.
func TestAnotherAuthoritysToken(t *testing.T) {
	t.Parallel()
	op, z := startOIDCProvider(t), startZitadel(t)
	u := newUser(t)
	fromOP := op.Token(t, u, "https://orders.example")
	fromZ := z.Token(t, u, "sid1")

	u.jwtrace("verify", "--authority", z.Issuer, "--audience", "https://orders.example", fromOP).exit(t, 1).
		out(t, `✗ key         kid "es-1" not found in the JWKS of `+z.Issuer, "REJECTED")
	u.jwtrace("verify", "--authority", op.Issuer, "--audience", "sid1", fromZ).exit(t, 1).
		out(t, "not found in the JWKS of "+op.Issuer, "✗ issuer", "REJECTED")
}
