package cmd

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/internal/ui"
)

// A forged token whose header starts with whitespace (base64url IHsi…,
// which JSON parsers accept) next to a valid token in a Cookie header or a
// log line: verify must check both and reject, not report the valid one
// and exit 0.
func TestVerifyChecksATokenWhoseHeaderDoesNotStartWithEyJ(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithClock(authoritytest.NewClock(fixedNow())))
	good := srv.Mint(t, map[string]any{"sub": "alice", "aud": "api://orders"})
	enc := base64.RawURLEncoding.EncodeToString
	forged := enc([]byte(` {"alg":"RS256","kid":"`+srv.SigningKey().KID+`"}`)) + "." +
		enc([]byte(`{"iss":"`+srv.Issuer+`","sub":"admin","aud":"api://orders","exp":4102444800}`)) + "." + enc([]byte("not a signature"))
	for name, input := range map[string]string{
		"a Cookie header":                 "Cookie: session=" + good + "; admin=" + forged,
		"a Cookie header, forged first":   "Cookie: admin=" + forged + "; session=" + good,
		"a log line":                      "level=info jwt=" + good + " forwarded=" + forged,
		"two tokens on two lines":         good + "\n" + forged + "\n",
		"JSON with two values":            `{"a":"` + good + `","b":"` + forged + `"}`,
		"a token parameter and a forgery": "https://app/cb#id_token=" + good + "&x=" + forged,
	} {
		t.Run(name, func(t *testing.T) {
			env := verifyEnv(t)
			env.In = strings.NewReader(input)
			r := jwtrace(t, context.Background(), env, "verify", "--authority", srv.Issuer, "--audience", "api://orders")
			if r.code != ExitRejected {
				t.Fatalf("exit %d, want %d (the forged token rejected)\n%s%s", r.code, ExitRejected, r.out, r.errOut)
			}
			if strings.Count(r.out, "VALID") != 1 || !strings.Contains(r.out, "REJECTED") {
				t.Errorf("want one valid and one rejected token:\n%s", r.out)
			}
		})
	}
}

// mint and authority serve refuse a state directory others can write,
// naming it and the fix, and exit 2 before signing or listening.
func TestMintAndAuthorityRefuseAStateDirectoryOthersCanWrite(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "state")
	env := func() *ui.Streams { return &ui.Streams{Env: []string{"TERM=dumb", "JWTRACE_AUTHORITY_DIR=" + state}} }
	if r := jwtrace(t, context.Background(), env(), "authority", "rotate"); r.code != ExitOK {
		t.Fatalf("rotate: exit %d\n%s", r.code, r.errOut)
	}
	if err := os.Chmod(state, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"mint", "--sub", "alice"},
		{"authority", "serve", "--addr", "127.0.0.1:0", "--quiet"},
		{"authority", "rotate"},
		{"authority", "keys", "--jwks"},
	} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			// Bounded: were the directory accepted, serve would run.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			r := jwtrace(t, ctx, env(), args...)
			if r.code != ExitUsage || r.out != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", r.code, r.out)
			}
			if !strings.Contains(r.errOut, state+" has mode 0777") || !strings.Contains(r.errOut, "chmod 700 "+state) {
				t.Errorf("stderr does not name the directory, its mode and the fix:\n%s", r.errOut)
			}
		})
	}
}
