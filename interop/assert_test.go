package interop

// Assertions on what a user sees, and token surgery for the tests that
// must be refused.

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// exit fails the test unless jwtrace exited with code.
func (r result) exit(t *testing.T, code int) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("want exit %d, got:\n%s", code, r)
	}
	return r
}

// out fails the test unless stdout contains each string.
func (r result) out(t *testing.T, want ...string) result {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, r)
		}
	}
	return r
}

// err fails the test unless stderr contains each string.
func (r result) err(t *testing.T, want ...string) result {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r)
		}
	}
	return r
}

// noOut fails the test unless stdout is empty.
func (r result) noOut(t *testing.T) result {
	t.Helper()
	if r.stdout != "" {
		t.Errorf("want nothing on stdout:\n%s", r)
	}
	return r
}

// token is stdout as one token: exactly one line.
func (r result) token(t *testing.T) string {
	t.Helper()
	tok := strings.TrimSuffix(r.stdout, "\n")
	if tok == "" || strings.ContainsAny(tok, "\n \t") {
		t.Fatalf("want one token on stdout:\n%s", r)
	}
	return tok
}

// loginJSON is what jwtrace login --json prints.
type loginJSON struct {
	AccessToken  string         `json:"access_token"`
	IDToken      string         `json:"id_token"`
	RefreshToken string         `json:"refresh_token"`
	Scope        string         `json:"scope"`
	Source       string         `json:"source"`
	ATClaims     map[string]any `json:"access_token_claims"`
	IDClaims     map[string]any `json:"id_token_claims"`
}

func (r result) loginJSON(t *testing.T) loginJSON {
	t.Helper()
	var l loginJSON
	if err := json.Unmarshal([]byte(r.stdout), &l); err != nil {
		t.Fatalf("stdout is not login's JSON: %v\n%s", err, r)
	}
	return l
}

// jwt splits a compact JWS into its decoded header and claims.
func jwt(t *testing.T, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS (%d parts): %.40s…", len(parts), tok)
	}
	return decodePart(t, parts[0]), decodePart(t, parts[1])
}

func decodePart(t *testing.T, part string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// withHeader returns tok with header field name set to value, the
// signature unchanged.
func withHeader(t *testing.T, tok, name string, value any) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	h := decodePart(t, parts[0])
	h[name] = value
	parts[0] = encodePart(t, h)
	return strings.Join(parts, ".")
}

// withClaim returns tok with claim name set to value, the signature
// unchanged: what someone who edits a token by hand sends.
func withClaim(t *testing.T, tok, name string, value any) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	c := decodePart(t, parts[1])
	c[name] = value
	parts[1] = encodePart(t, c)
	return strings.Join(parts, ".")
}

func encodePart(t *testing.T, m map[string]any) string {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// expiry is the token's exp.
func expiry(t *testing.T, tok string) time.Time {
	t.Helper()
	_, c := jwt(t, tok)
	exp, ok := c["exp"].(float64)
	if !ok {
		t.Fatalf("token has no numeric exp: %v", c)
	}
	return time.Unix(int64(exp), 0)
}

// at is an RFC 3339 time d from now, for verify --at.
func at(d time.Duration) string { return time.Now().Add(d).UTC().Format(time.RFC3339) }
