package cmd

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/internal/ui"
)

// verifyEnv runs verify with its own cache directory.
func verifyEnv(t *testing.T) *ui.Streams {
	return &ui.Streams{Env: []string{"TERM=dumb", "JWTRACE_CACHE_DIR=" + t.TempDir()}}
}

func TestVerifyAgainstTheProjectsAuthority(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		t.Run(alg+" tokens verify through discovery", func(t *testing.T) {
			srv := authoritytest.Start(t, authoritytest.WithAlg(alg), authoritytest.WithClock(authoritytest.NewClock(fixedNow())))
			tok := srv.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts", "scope": "workouts.read"})

			r := jwtrace(t, context.Background(), verifyEnv(t), "verify", "--authority", srv.Issuer, "--audience", "api://workouts", "--scope", "workouts.read", tok)
			if r.code != ExitOK || !strings.Contains(r.out, "VALID: 9 checks passed") {
				t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
			}
			if !strings.Contains(r.out, "Verifying against "+srv.Issuer) || !strings.Contains(r.out, "✓ signature") {
				t.Errorf("report:\n%s", r.out)
			}
		})
	}

	srv := authoritytest.Start(t, authoritytest.WithClock(authoritytest.NewClock(fixedNow())))
	good := srv.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts"})
	t.Run("a wrong audience is rejected with exit 1 and the reason", func(t *testing.T) {
		r := jwtrace(t, context.Background(), verifyEnv(t), "verify", "--authority", srv.Issuer, "--audience", "api://billing", good)
		if r.code != ExitRejected || !strings.Contains(r.out, "✗ audience    token aud [api://workouts] has none of: api://billing") {
			t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
		}
		if !strings.Contains(r.out, "REJECTED: 1 of 8 checks failed (audience)") {
			t.Errorf("summary:\n%s", r.out)
		}
	})
	t.Run("--json is one documented object", func(t *testing.T) {
		r := jwtrace(t, context.Background(), verifyEnv(t), "verify", "--json", "--authority", srv.Issuer, "--audience", "api://workouts", good)
		var got struct {
			Valid    bool
			Summary  string
			Failed   []string
			Checks   []struct{ Name, Status, Detail string }
			KeysFrom struct {
				Authority, Issuer string
				Discovery, JWKS   struct{ URL string }
				Keys              []struct{ Kid string }
			} `json:"keys_from"`
		}
		if err := json.Unmarshal([]byte(r.out), &got); err != nil || r.code != 0 {
			t.Fatalf("exit %d, %v\n%s", r.code, err, r.out)
		}
		if !got.Valid || len(got.Checks) != 11 || got.KeysFrom.Issuer != srv.Issuer || got.KeysFrom.JWKS.URL != srv.JWKSURL || len(got.KeysFrom.Keys) != 1 {
			t.Errorf("%+v", got)
		}
	})
	t.Run("a rotated key is found by refetching the cached JWKS once", func(t *testing.T) {
		env := verifyEnv(t)
		if r := jwtrace(t, context.Background(), env, "verify", "--authority", srv.Issuer, "--audience", "api://workouts", good); r.code != 0 {
			t.Fatalf("%s%s", r.out, r.errOut)
		}
		srv.RotateKey(t)
		rotated := srv.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts"})
		r := jwtrace(t, context.Background(), env, "verify", "--authority", srv.Issuer, "--audience", "api://workouts", rotated)
		if r.code != 0 || !strings.Contains(r.out, "the keys were refetched once") {
			t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
		}
	})
}

// countingIDP serves discovery and the repository's test JWKS, counting
// requests, with the given Cache-Control.
func countingIDP(t *testing.T, cacheControl string) (*httptest.Server, *atomic.Int64) {
	jwks, err := os.ReadFile("../testdata/keys/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Cache-Control", cacheControl)
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]string{"issuer": srv.URL, "jwks_uri": srv.URL + "/keys"})
		case "/keys":
			w.Write(jwks)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestVerifyCachesDiscoveryAndKeys(t *testing.T) {
	t.Parallel()
	srv, requests := countingIDP(t, "public, max-age=3600")
	access := strings.TrimSpace(testdataFile(t, "access.jwt"))
	env := verifyEnv(t)
	args := []string{"verify", "--authority", srv.URL, "--issuer", "https://login.microsoftonline.com/{tenantid}/v2.0", "--audience", "api://workouts", access}

	r := jwtrace(t, context.Background(), env, args...)
	if r.code != 0 || requests.Load() != 2 {
		t.Fatalf("first verify: exit %d, %d requests\n%s%s", r.code, requests.Load(), r.out, r.errOut)
	}
	r = jwtrace(t, context.Background(), env, args...)
	if r.code != 0 || requests.Load() != 2 {
		t.Fatalf("second verify: exit %d, %d requests in all, want still 2", r.code, requests.Load())
	}
	if !strings.Contains(r.out, "(cached ") {
		t.Errorf("the report does not say the keys were cached:\n%s", r.out)
	}
	r = jwtrace(t, context.Background(), env, append([]string{"verify", "--no-cache"}, args[1:]...)...)
	if r.code != 0 || requests.Load() != 4 {
		t.Fatalf("--no-cache: exit %d, %d requests, want 4", r.code, requests.Load())
	}
}

func TestVerifyExitCodes(t *testing.T) {
	t.Parallel()
	access := strings.TrimSpace(testdataFile(t, "access.jwt"))
	tmpl := "https://login.microsoftonline.com/{tenantid}/v2.0"
	// Port 1: nothing listens there, and unlike a closed ephemeral port no
	// server of a parallel test can take it.
	deadURL := "http://127.0.0.1:1"
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(hang.Close)

	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"valid with a local JWKS", []string{"--key", "../testdata/keys/jwks.json", "--issuer", tmpl, "--audience", "api://workouts", access}, ExitOK, ""},
		{"valid with a PEM key", []string{"--key", "../testdata/keys/rsa-public.pem", "--issuer", tmpl, "--audience", "api://workouts", access}, ExitOK, ""},
		{"rejected", []string{"--key", "../testdata/keys/jwks.json", "--issuer", tmpl, "--audience", "api://billing", access}, ExitRejected, ""},
		{"no keys", []string{"--issuer", tmpl, "--audience", "x", access}, ExitUsage, "no keys: give --authority URL"},
		{"no audience rule", []string{"--key", "../testdata/keys/jwks.json", "--issuer", tmpl, access}, ExitUsage, "no audience rule"},
		{"no issuer rule", []string{"--key", "../testdata/keys/jwks.json", "--audience", "x", access}, ExitUsage, "no issuer rule"},
		{"a short secret", []string{"--secret", "short", "--skip-issuer", "--audience", "x", access}, ExitUsage, "at least 32 bytes"},
		{"a secret from an unset variable", []string{"--secret", "env:NOPE_NOT_SET", "--skip-issuer", "--audience", "x", access}, ExitUsage, "NOPE_NOT_SET is not set"},
		{"a missing key file", []string{"--key", "nope.pem", "--skip-issuer", "--audience", "x", access}, ExitUsage, "nope.pem"},
		{"plain http to another host", []string{"--authority", "http://idp.example.com", "--audience", "x", access}, ExitUsage, "refusing plain http://"},
		{"an authority that is down", []string{"--authority", deadURL, "--audience", "x", access}, ExitUnavailable, "is the authority running?"},
		{"an authority that hangs", []string{"--authority", hang.URL, "--timeout", "200ms", "--audience", "x", access}, ExitUnavailable, "--timeout"},
		{"no token", []string{"--key", "../testdata/keys/jwks.json", "--skip-issuer", "--audience", "x", "hello"}, ExitUsage, "no JWT found in the input"},
		{"a bad --at", []string{"--key", "../testdata/keys/jwks.json", "--skip-issuer", "--audience", "x", "--at", "yesterday", access}, ExitUsage, "--at"},
		{"a token hidden beside another", []string{"--key", "../testdata/keys/jwks.json", "--issuer", tmpl, "--audience", "api://workouts", "ok=" + access + " bad=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0"}, ExitUsage, "token-like values but only 1 complete"},
		{"an unsecured token beside a valid one is checked, not skipped", []string{"--key", "../testdata/keys/jwks.json", "--issuer", tmpl, "--audience", "api://workouts", "ok=" + access + " bad=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}, ExitRejected, ""},
		{"a zero --timeout", []string{"--key", "../testdata/keys/jwks.json", "--issuer", tmpl, "--audience", "x", "--timeout", "0", access}, ExitUsage, "--timeout must be more than 0"},
		{"--alg none with an authority, before any request", []string{"--authority", deadURL, "--audience", "x", "--alg", "none", access}, ExitUsage, "--alg none"},
		{"--batch with an argument", []string{"--batch", "--key", "../testdata/keys/jwks.json", "--skip-issuer", "--audience", "x", access}, ExitUsage, "--batch reads tokens from stdin"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := jwtrace(t, context.Background(), verifyEnv(t), append([]string{"verify", "--at", "2026-11-27T10:30:00Z"}, c.args...)...)
			if r.code != c.code || !strings.Contains(r.errOut, c.stderr) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)\n%s", r.code, c.code, r.errOut, c.stderr, r.out)
			}
		})
	}
}

func TestVerifyInsecureWarnsLoudly(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	srv.StartTLS()
	t.Cleanup(srv.Close)
	r := jwtrace(t, context.Background(), verifyEnv(t), "verify", "--insecure", "--authority", srv.URL, "--audience", "x", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
	if !strings.Contains(r.errOut, "WARNING: --insecure") || r.code != ExitUnavailable {
		t.Fatalf("exit %d, stderr %q", r.code, r.errOut)
	}
	// Without --insecure the self-signed certificate fails, and says how
	// to trust a private CA.
	r = jwtrace(t, context.Background(), verifyEnv(t), "verify", "--authority", srv.URL, "--audience", "x", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
	if r.code != ExitUnavailable || !strings.Contains(r.errOut, "--cacert") {
		t.Fatalf("exit %d, stderr %q", r.code, r.errOut)
	}
}

func TestVerifyTrustsAPrivateCA(t *testing.T) {
	t.Parallel()
	jwks, err := os.ReadFile("../testdata/keys/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(jwks) }))
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	access := strings.TrimSpace(testdataFile(t, "access.jwt"))
	r := jwtrace(t, context.Background(), verifyEnv(t), "verify", "--at", "2026-11-27T10:30:00Z", "--cacert", ca, "--jwks-url", srv.URL+"/keys",
		"--issuer", "https://login.microsoftonline.com/{tenantid}/v2.0", "--audience", "api://workouts", access)
	if r.code != ExitOK || !strings.Contains(r.out, "Verifying with the JWKS at "+srv.URL+"/keys") {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
	}
}

func TestVerifyCacheKeepsPrivateCAKeysApart(t *testing.T) {
	t.Parallel()
	jwks, err := os.ReadFile("../testdata/keys/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(jwks) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	access := strings.TrimSpace(testdataFile(t, "access.jwt"))
	env := verifyEnv(t)
	args := []string{"verify", "--at", "2026-11-27T10:30:00Z", "--jwks-url", srv.URL + "/keys", "--issuer", "https://login.microsoftonline.com/{tenantid}/v2.0", "--audience", "api://workouts", access}
	if r := jwtrace(t, context.Background(), env, append(args, "--cacert", ca)...); r.code != 0 {
		t.Fatalf("with --cacert: exit %d\n%s", r.code, r.errOut)
	}
	// Without --cacert the same cache must not hand over those keys: the
	// run fetches, and TLS refuses the server.
	if r := jwtrace(t, context.Background(), env, args...); r.code != ExitUnavailable {
		t.Fatalf("without --cacert: exit %d (keys from the --cacert run were reused)\n%s", r.code, r.out)
	}
}

func TestVerifyEscapesKidsFromTheServer(t *testing.T) {
	t.Parallel()
	testdataJWKS := `{"keys":[{"kty":"EC","crv":"P-256","kid":"\u001b]0;pwned\u0007\u001b[2JVALID","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, testdataJWKS) }))
	t.Cleanup(srv.Close)
	r := jwtrace(t, context.Background(), verifyEnv(t), "verify", "--jwks-url", srv.URL, "--skip-issuer", "--audience", "x", strings.TrimSpace(testdataFile(t, "access.jwt")))
	if strings.Contains(r.out, "\x1b]") || strings.Contains(r.out, "\a") {
		t.Fatalf("raw escape sequences reached the terminal:\n%q", r.out)
	}
	if !strings.Contains(r.out, `\x1b]0;pwned`) {
		t.Fatalf("the kid is not shown escaped:\n%s", r.out)
	}
}

func TestVerifyBatch(t *testing.T) {
	t.Parallel()
	access := strings.TrimSpace(testdataFile(t, "access.jwt"))
	in := strings.Repeat(access+"\n", 3) + "garbage\n"
	s := verifyEnv(t)
	s.In = strings.NewReader(in)
	r := jwtrace(t, context.Background(), s, "verify", "--batch", "--at", "2026-11-27T10:30:00Z", "--key", "../testdata/keys/jwks.json",
		"--issuer", "https://login.microsoftonline.com/{tenantid}/v2.0", "--audience", "api://workouts")
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if r.code != ExitRejected || len(lines) != 4 || !strings.Contains(lines[0], `"valid":true`) || !strings.Contains(lines[3], `"line":4,"valid":false`) {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	if !strings.Contains(r.errOut, "4 tokens: 3 valid, 1 rejected") {
		t.Errorf("stderr %q", r.errOut)
	}
}
