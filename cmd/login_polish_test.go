package cmd

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/jwtrace/jwtrace/login"
)

// signedJWT signs claims with a fresh ES256 key.
func signedJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	raw, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	tok, err := jws.Sign(b, jws.WithKey(jwa.ES256(), raw))
	if err != nil {
		t.Fatal(err)
	}
	return string(tok)
}

// Hydra (interop/README.md "Hydra quirks") issues opaque access tokens
// beside a signed ID token: the summary names the ID token's user.
func TestLoginSummaryTakesTheUserFromTheIDToken(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 10, 50, 0, 0, time.UTC)
	exp := now.Add(time.Hour)
	id := signedJWT(t, map[string]any{"iss": "https://hydra.example", "sub": "alice", "aud": []string{"cli"}, "azp": "cli", "exp": exp.Unix(), "iat": now.Unix()})
	idEmail := signedJWT(t, map[string]any{"sub": "0b5e", "email": "alice@example.com", "aud": "cli", "exp": exp.Unix()})
	idClientOnly := signedJWT(t, map[string]any{"azp": "cli", "aud": "cli", "exp": exp.Unix()})
	clientAT := signedJWT(t, map[string]any{"client_id": "cli", "aud": "https://api.example", "exp": exp.Unix()})
	userAT := signedJWT(t, map[string]any{"sub": "bob", "aud": "https://api.example", "exp": exp.Unix()})
	cases := []struct {
		name, at, id, want string
	}{
		{"opaque access token, ID token sub", "ory_at_x1y2", id, "Signed in as alice · expires in 1h · opaque access token (not a JWT)"},
		{"the ID token's email before its sub", "ory_at_x1y2", idEmail, "Signed in as alice@example.com · expires in 1h · opaque access token (not a JWT)"},
		{"an ID token without a user claim names no one", "ory_at_x1y2", idClientOnly, "Signed in · expires in 1h · opaque access token (not a JWT)"},
		{"a JWT access token naming only the client", clientAT, id, "Signed in as alice · aud https://api.example · expires in 1h"},
		{"the access token's user still comes first", userAT, id, "Signed in as bob · aud https://api.example · expires in 1h"},
		{"hostile ID token text is escaped", "ory_at_x1y2", signedJWT(t, map[string]any{"sub": "eve\x1b]0;owned\x07"}), `Signed in as eve\x1b]0;owned\x07 · expires in 1h · opaque access token (not a JWT)`},
	}
	for _, c := range cases {
		got := loginSummary(&login.Token{AccessToken: c.at, IDToken: c.id, Expiry: exp, Source: "login"}, now)
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

// End to end: an auth-code login at a token endpoint that answers an
// opaque access token and a signed ID token (as Hydra does) names the
// user on stderr.
func TestLoginOpaqueAccessTokenNamesTheIDTokenUser(t *testing.T) {
	t.Parallel()
	var ts *httptest.Server
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":"%s/jwks","token_endpoint":"%s/token"}`, ts.URL, ts.URL, ts.URL)
		case "/token":
			id := signedJWT(t, map[string]any{"iss": ts.URL, "sub": "alice", "aud": "svc", "exp": time.Now().Add(time.Hour).Unix()})
			fmt.Fprintf(w, `{"access_token":"ory_at_opaque","token_type":"bearer","expires_in":3600,"id_token":%q}`, id)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ts.Close)
	r := jwtrace(t, context.Background(), loginEnv(t), "login", "--grant", "client-credentials", "--authority", ts.URL, "--client-id", "svc", "--client-secret", "s3")
	if r.code != 0 || r.out != "ory_at_opaque\n" || !strings.Contains(r.errOut, "Signed in as alice · expires in 1h · opaque access token (not a JWT)") {
		t.Fatalf("exit %d %q\n%s", r.code, r.out, r.errOut)
	}
}

// Hydra's userinfo has rat (requested at, Ory) beside iat and auth_time;
// every NumericDate claim decode knows reads as a time.
func TestIntrospectAndUserinfoShowKnownTimeClaimsAsTimes(t *testing.T) {
	t.Parallel()
	now := fixedNow().Unix()
	body := fmt.Sprintf(`{"active":true,"sub":"alice","rat":%d,"iat":%d,"pwd_exp":%d,"orig_iat":%d,"login_count":7,"consent_at":%d,"wait_time":5,"aud":[]}`, now-60, now-30, now+86400*30, now-3600, now-120)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	}))
	t.Cleanup(ts.Close)
	stamp := func(sec int64) string { return time.Unix(sec, 0).UTC().Format(time.RFC3339) }
	for _, args := range [][]string{
		{"introspect", "--introspection-endpoint", ts.URL + "/introspect", "--client-id", "c", "--client-secret", "s", "tok"},
		{"userinfo", "--userinfo-endpoint", ts.URL + "/userinfo", "tok"},
	} {
		r := jwtrace(t, context.Background(), loginEnv(t), args...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", args[0], r.code, r.errOut)
		}
		for _, want := range []string{
			"rat          " + stamp(now-60) + " (1m ago)",
			"pwd_exp      " + stamp(now+86400*30) + " (in 30d)",
			"orig_iat     " + stamp(now-3600) + " (1h ago)",
			"login_count  7\n",
			"consent_at   " + stamp(now-120) + " (2m ago)",
			"wait_time    5\n",
		} {
			if !strings.Contains(r.out, want) {
				t.Errorf("%s: no %q in\n%s", args[0], want, r.out)
			}
		}
	}
}

// An empty aud array (Hydra's introspection of a token without an
// audience) reads "[]", not a blank.
func TestIntrospectShowsAnEmptyArray(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"active":true,"aud":[],"scope":"openid","sub":"alice"}`))
	}))
	t.Cleanup(ts.Close)
	r := jwtrace(t, context.Background(), loginEnv(t), "introspect", "--introspection-endpoint", ts.URL+"/introspect", "--client-id", "c", "--client-secret", "s", "tok")
	if r.code != 0 || !strings.Contains(r.out, "  aud    []\n") {
		t.Fatalf("exit %d\n%q", r.code, r.out)
	}
}
