package cmd

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/internal/textsafe"
)

// Findings of the security review, end to end: each test fails on the code
// before the fix.

func TestVerifyRefusesEmptyScopeAlgAndTyp(t *testing.T) {
	t.Parallel()
	access := strings.TrimSpace(testdataFile(t, "access.jwt"))
	base := []string{"verify", "--at", "2026-11-27T10:30:00Z", "--key", "../testdata/keys/jwks.json",
		"--issuer", "https://login.microsoftonline.com/{tenantid}/v2.0", "--audience", "api://workouts"}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{`--scope "" (an unset $SCOPE)`, []string{"--scope", ""}, "--scope is empty"},
		{`--scope=""`, []string{"--scope="}, "--scope is empty"},
		{`--scope " "`, []string{"--scope", " "}, "--scope is empty"},
		{`--scope "workouts.read,"`, []string{"--scope", "workouts.read,"}, "--scope is empty"},
		{`--scope "" beside a real --scope`, []string{"--scope", "", "--scope", "workouts.read"}, "--scope is empty"},
		{`--alg ""`, []string{"--alg", ""}, "--alg is empty"},
		{`--alg "RS256,"`, []string{"--alg", "RS256,"}, "--alg is empty"},
		{`--typ ""`, []string{"--typ", ""}, "--typ is empty"},
		{`--typ " "`, []string{"--typ", " "}, "--typ is empty"},
	}
	for _, c := range cases {
		t.Run(c.name+" is a usage error", func(t *testing.T) {
			args := append(append(append([]string{}, base...), c.args...), access)
			r := jwtrace(t, context.Background(), verifyEnv(t), args...)
			if r.code != ExitUsage || !strings.Contains(r.errOut, c.want) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)\n%s", r.code, ExitUsage, r.errOut, c.want, r.out)
			}
		})
	}
	t.Run("real values still work, comma-separated or repeated", func(t *testing.T) {
		args := append(append([]string{}, base...), "--alg", "RS256, PS256", "--alg", "ES256", "--scope", "workouts.read", access)
		if r := jwtrace(t, context.Background(), verifyEnv(t), args...); r.code != ExitOK {
			t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
		}
	})
}

// The trust SSL_CERT_FILE and SSL_CERT_DIR set (crypto/x509's root_unix.go
// reads them) decides which servers a run accepts, as --cacert does; keys
// fetched under one trust must not be handed to a run under another.
func TestVerifyCacheKeepsSSLCertTrustApart(t *testing.T) {
	t.Parallel()
	srv, requests := countingIDP(t, "public, max-age=3600")
	access := strings.TrimSpace(testdataFile(t, "access.jwt"))
	cache := t.TempDir()
	dir := t.TempDir()
	bundle := filepath.Join(dir, "bundle.pem")
	if err := os.WriteFile(bundle, []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	certDir := filepath.Join(dir, "certs")
	if err := os.Mkdir(certDir, 0o700); err != nil {
		t.Fatal(err)
	}
	args := []string{"verify", "--at", "2026-11-27T10:30:00Z", "--authority", srv.URL, "--issuer", "https://login.microsoftonline.com/{tenantid}/v2.0", "--audience", "api://workouts", access}
	runWith := func(t *testing.T, env ...string) int64 {
		t.Helper()
		s := verifyEnv(t)
		s.Env = append([]string{"TERM=dumb", "JWTRACE_CACHE_DIR=" + cache}, env...)
		if r := jwtrace(t, context.Background(), s, args...); r.code != ExitOK {
			t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
		}
		return requests.Load()
	}
	steps := []struct {
		name string
		env  []string
		edit func(t *testing.T)
		want int64
	}{
		{"a run under SSL_CERT_FILE fetches", []string{"SSL_CERT_FILE=" + bundle}, nil, 2},
		{"the same trust again uses the cache", []string{"SSL_CERT_FILE=" + bundle}, nil, 2},
		{"a run with SSL_CERT_FILE unset does not reuse those documents", nil, nil, 4},
		{"the system roots again use their own cache", nil, nil, 4},
		{"a changed bundle at the same path does not reuse them", []string{"SSL_CERT_FILE=" + bundle}, func(t *testing.T) {
			if err := os.WriteFile(bundle, []byte("-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, 6},
		{"a run under SSL_CERT_DIR fetches", []string{"SSL_CERT_DIR=" + certDir}, nil, 8},
		{"the same directory again uses the cache", []string{"SSL_CERT_DIR=" + certDir}, nil, 8},
		{"a certificate added to the directory does not reuse them", []string{"SSL_CERT_DIR=" + certDir}, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(certDir, "ca.pem"), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, 10},
	}
	for _, st := range steps {
		if st.edit != nil {
			st.edit(t)
		}
		if got := runWith(t, st.env...); got != st.want {
			t.Fatalf("%s: %d requests in all, want %d", st.name, got, st.want)
		}
	}
}

// hs256 signs header and claims (JSON) with secret.
func hs256(t *testing.T, secret, header, claims string) string {
	t.Helper()
	input := b64(header) + "." + b64(claims)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(input))
	return input + "." + b64(string(m.Sum(nil)))
}

func TestVerifyBatchEscapesBidiAndC1Runes(t *testing.T) {
	t.Parallel()
	const secret = "0123456789abcdef0123456789abcdef"
	const sub, kid = "alice\u202egnp.exe\u0085\u2066x\u2028", "k\u202e1\u0085\u009b2J"
	at := time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)
	hdr, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT", "kid": kid})
	cl, _ := json.Marshal(map[string]any{"iss": "https://issuer.example", "sub": sub, "aud": "api://other\u202e", "exp": at.Add(time.Hour).Unix()})
	tok := hs256(t, secret, string(hdr), string(cl))

	s := verifyEnv(t)
	s.Env = append(s.Env, "JWT_SECRET="+secret)
	s.In = strings.NewReader(tok + "\n")
	r := jwtrace(t, context.Background(), s, "verify", "--batch", "--at", at.Format(time.RFC3339), "--secret", "env:JWT_SECRET",
		"--issuer", "https://issuer.example", "--audience", "api://workouts")
	if r.code != ExitRejected {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	for _, out := range []string{r.out, r.errOut} {
		for _, c := range out {
			if textsafe.Risky(c) {
				t.Fatalf("U+%04X reached the terminal raw:\n%q", c, out)
			}
		}
	}
	var line struct {
		Sub, Kid string
		Errors   map[string]string
	}
	if err := json.Unmarshal([]byte(r.out), &line); err != nil {
		t.Fatalf("%v\n%s", err, r.out)
	}
	if line.Sub != sub || line.Kid != kid || !strings.Contains(line.Errors["audience"], "api://other\u202e") {
		t.Fatalf("the escaped line does not decode to the token's values: %+v", line)
	}
	if !strings.Contains(r.out, `\u202e`) || !strings.Contains(r.out, `\u0085`) {
		t.Fatalf("no \\u escapes in\n%s", r.out)
	}
}

func TestVerifyShowsAServersErrorBodyAsOneSafeLine(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":"Realm does not exist"}`+"\njwtrace: the token is VALID\x1b[2J\u202e"+strings.Repeat("x", 5000))
	}))
	t.Cleanup(srv.Close)
	r := jwtrace(t, context.Background(), verifyEnv(t), "verify", "--authority", srv.URL, "--audience", "x", strings.TrimSpace(testdataFile(t, "access.jwt")))
	if r.code != ExitUnavailable {
		t.Fatalf("exit %d\n%s", r.code, r.errOut)
	}
	lines := strings.Split(strings.TrimSpace(r.errOut), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `the server says: {"error":"Realm does not exist"}`) {
		t.Fatalf("want one line with the server's error, got %d:\n%.600s", len(lines), r.errOut)
	}
	if strings.ContainsAny(r.errOut, "\x1b\u202e") || len(r.errOut) > 2048 {
		t.Fatalf("the server's text is raw or unbounded (%d bytes): %.600q", len(r.errOut), r.errOut)
	}
}
