package cmd

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/internal/ui"
)

const inputSecret = "0123456789abcdef0123456789abcdef"

// inputToken is an HS256 token issued at fixedNow-1h that expired at
// fixedNow-30m.
func inputToken(t *testing.T) string {
	now := fixedNow()
	return hs256(t, inputSecret, `{"alg":"HS256","typ":"JWT"}`,
		`{"sub":"alice","aud":"api://x","iat":`+itoa(now.Add(-time.Hour))+`,"exp":`+itoa(now.Add(-30*time.Minute))+`}`)
}

func itoa(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func decodeSegment(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func verifyArgs(extra ...string) []string {
	return append([]string{"verify", "--secret", inputSecret, "--skip-issuer", "--audience", "api://x"}, extra...)
}

func TestVerifyAtTakesADurationFromNow(t *testing.T) {
	tok := inputToken(t)
	if r := jwtrace(t, context.Background(), verifyEnv(t), verifyArgs(tok)...); r.code != ExitRejected {
		t.Fatalf("now: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	for _, at := range []string{"-1h", "-45m", "-40m"} {
		r := jwtrace(t, context.Background(), verifyEnv(t), verifyArgs("--at", at, tok)...)
		if r.code != ExitOK || !strings.Contains(r.out, "VALID") {
			t.Errorf("--at %s: exit %d\n%s%s", at, r.code, r.out, r.errOut)
		}
	}
	// +10m: a token not valid before fixedNow+5m.
	later := hs256(t, inputSecret, `{"alg":"HS256"}`, `{"aud":"api://x","nbf":`+itoa(fixedNow().Add(5*time.Minute))+`,"exp":`+itoa(fixedNow().Add(time.Hour))+`}`)
	if r := jwtrace(t, context.Background(), verifyEnv(t), verifyArgs("--at", "+10m", later)...); r.code != ExitOK {
		t.Errorf("--at +10m: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	r := jwtrace(t, context.Background(), verifyEnv(t), verifyArgs("--at", "-1x", tok)...)
	if r.code != ExitUsage || !strings.Contains(r.errOut, "-1h") {
		t.Errorf("--at -1x: exit %d\n%s", r.code, r.errOut)
	}
	// decode takes the same.
	d := jwtrace(t, context.Background(), &ui.Streams{}, "decode", "--at", "-1h", tok)
	if d.code != ExitOK || strings.Contains(d.out, "expired") {
		t.Errorf("decode --at -1h: exit %d\n%s%s", d.code, d.out, d.errOut)
	}
}

func TestVerifyLeewayWithoutAUnit(t *testing.T) {
	r := jwtrace(t, context.Background(), verifyEnv(t), verifyArgs("--leeway", "30", inputToken(t))...)
	if r.code != ExitUsage || !strings.Contains(r.errOut, "--leeway 30: give a unit: 30s") || strings.Contains(r.errOut, "time:") {
		t.Fatalf("exit %d\n%s", r.code, r.errOut)
	}
	r = jwtrace(t, context.Background(), verifyEnv(t), verifyArgs("--leeway", "31m", inputToken(t))...)
	if r.code != ExitOK {
		t.Fatalf("--leeway 31m: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
}

func TestVerifyBatchFromAFile(t *testing.T) {
	tok := inputToken(t)
	path := filepath.Join(t.TempDir(), "tokens.txt")
	if err := os.WriteFile(path, []byte(tok+"\n\n"+tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := jwtrace(t, context.Background(), verifyEnv(t), verifyArgs("--batch", "--at", "-1h", "--file", path)...)
	if r.code != ExitOK || strings.Count(r.out, "\n") != 2 || !strings.Contains(r.errOut, "2 tokens: 2 valid, 0 rejected") {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	// One token is one token.
	one := filepath.Join(t.TempDir(), "one.txt")
	os.WriteFile(one, []byte(tok+"\n"), 0o600)
	r = jwtrace(t, context.Background(), verifyEnv(t), verifyArgs("--batch", "-f", one)...)
	if r.code != ExitRejected || !strings.Contains(r.errOut, "1 token: 0 valid, 1 rejected") {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	// A token argument is still refused with --batch.
	r = jwtrace(t, context.Background(), verifyEnv(t), verifyArgs("--batch", tok)...)
	if r.code != ExitUsage {
		t.Fatalf("--batch TOKEN: exit %d\n%s", r.code, r.errOut)
	}
}

func TestVerifyTokenFromTheEnvironment(t *testing.T) {
	tok := inputToken(t)
	env := verifyEnv(t)
	env.Env = append(env.Env, "MY_TOKEN="+tok)
	r := jwtrace(t, context.Background(), env, verifyArgs("--at", "-1h", "--token-env", "MY_TOKEN")...)
	if r.code != ExitOK {
		t.Fatalf("--token-env: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	env = verifyEnv(t)
	env.Env = append(env.Env, "JWTRACE_TOKEN="+tok)
	env.StdinTTY = true
	r = jwtrace(t, context.Background(), env, verifyArgs("--at", "-1h")...)
	if r.code != ExitOK {
		t.Fatalf("$JWTRACE_TOKEN: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	env = verifyEnv(t)
	r = jwtrace(t, context.Background(), env, verifyArgs("--token-env", "UNSET_TOKEN")...)
	if r.code != ExitUsage || !strings.Contains(r.errOut, "--token-env UNSET_TOKEN") {
		t.Fatalf("unset: exit %d\n%s", r.code, r.errOut)
	}
}

// verify's exit status for input that is not a token is decode's: 2, with
// decode's words.
func TestVerifyMalformedInputExitsLikeDecode(t *testing.T) {
	two := strings.Join(strings.Split(inputToken(t), ".")[:2], ".")
	d := jwtrace(t, context.Background(), &ui.Streams{}, "decode", two)
	v := jwtrace(t, context.Background(), verifyEnv(t), verifyArgs(two)...)
	if d.code != ExitUsage || v.code != ExitUsage {
		t.Fatalf("decode exit %d, verify exit %d\n%s%s", d.code, v.code, v.out, v.errOut)
	}
	if first := strings.SplitN(d.errOut, "\n", 2)[0]; !strings.Contains(v.errOut, first) {
		t.Errorf("decode says %q; verify says:\n%s", first, v.errOut)
	}
}

func TestVerifyKeySourceMistakes(t *testing.T) {
	srv, _ := countingIDP(t, "no-store")
	tok := inputToken(t)
	for _, tc := range []struct {
		name string
		args []string
		want []string
		code int
	}{
		{"--key given a URL", []string{"--key", srv.URL + "/keys"}, []string{"--key takes a file", "--jwks-url " + srv.URL + "/keys"}, ExitUsage},
		{"--authority without a scheme", []string{"--authority", "127.0.0.1:9400"}, []string{"--authority", "want a URL: http://127.0.0.1:9400"}, ExitUsage},
		{"--authority at a JWKS", []string{"--authority", srv.URL + "/jwks.json"}, []string{"looks like a JWKS URL", "--jwks-url " + srv.URL + "/jwks.json"}, ExitUnavailable},
		{"--jwks-url at discovery", []string{"--jwks-url", srv.URL + "/.well-known/openid-configuration"}, []string{"this is an OpenID discovery document, not a JWKS", "--authority " + srv.URL}, ExitUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"verify", "--skip-issuer", "--audience", "api://x"}, tc.args...)
			r := jwtrace(t, context.Background(), verifyEnv(t), append(args, tok)...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d", r.code, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.errOut, w) {
					t.Errorf("missing %q in:\n%s", w, r.errOut)
				}
			}
			for _, bad := range []string{"no such file", "first path segment", "jwk.", "ParseKey"} {
				if strings.Contains(r.errOut, bad) {
					t.Errorf("%q in:\n%s", bad, r.errOut)
				}
			}
		})
	}
}

func TestVerifyReportsTheRefetchAfterARotation(t *testing.T) {
	srv := authoritytest.Start(t, authoritytest.WithClock(authoritytest.NewClock(fixedNow())))
	env := verifyEnv(t)
	first := srv.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts"})
	if r := jwtrace(t, context.Background(), env, "verify", "--authority", srv.Issuer, "--audience", "api://workouts", first); r.code != 0 {
		t.Fatalf("%s%s", r.out, r.errOut)
	}
	srv.RotateKey(t)
	rotated := srv.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts"})
	var kid string
	if parts := strings.Split(rotated, "."); len(parts) == 3 {
		var h struct{ Kid string }
		b, _ := decodeSegment(parts[0])
		json.Unmarshal(b, &h)
		kid = h.Kid
	}
	if kid == "" {
		t.Fatal("no kid in the rotated token")
	}
	r := jwtrace(t, context.Background(), env, "verify", "--authority", srv.Issuer, "--audience", "api://workouts", rotated)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	var jwksLine, keysLine string
	for _, l := range strings.Split(r.out, "\n") {
		switch f := strings.Fields(l); {
		case len(f) > 0 && f[0] == "jwks":
			jwksLine = l
		case len(f) > 0 && f[0] == "keys":
			keysLine = l
		}
	}
	if !strings.Contains(jwksLine, "refetched: kid "+kid+" was not in the copy cached") || !strings.Contains(keysLine, kid) {
		t.Errorf("jwks %q, keys %q\n%s", jwksLine, keysLine, r.out)
	}

	srv.RotateKey(t)
	again := srv.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts"})
	r = jwtrace(t, context.Background(), env, "verify", "--json", "--authority", srv.Issuer, "--audience", "api://workouts", again)
	var got struct {
		KeysFrom struct {
			JWKS struct {
				Cached, Refetched bool
				RefetchKid        string                 `json:"refetch_kid"`
				Before            *struct{ Cached bool } `json:"before_refetch"`
			}
			Keys []struct{ Kid string }
		} `json:"keys_from"`
		Key struct{ Kid string }
	}
	if err := json.Unmarshal([]byte(r.out), &got); err != nil || r.code != 0 {
		t.Fatalf("exit %d, %v\n%s%s", r.code, err, r.out, r.errOut)
	}
	j := got.KeysFrom.JWKS
	found := false
	for _, k := range got.KeysFrom.Keys {
		found = found || k.Kid == got.Key.Kid
	}
	if j.Cached || !j.Refetched || j.RefetchKid != got.Key.Kid || j.Before == nil || !j.Before.Cached || !found {
		t.Errorf("%+v\n%s", got, r.out)
	}
}
