package cmd

import (
	"context"
	"strings"
	"testing"
)

// --debug (or JWTRACE_DEBUG=1) traces each request and response on stderr,
// and leaves stdout as it is.
func TestDebugTracesRequestsOnStderr(t *testing.T) {
	t.Parallel()
	srv, _ := countingIDP(t, "no-store")
	access := strings.TrimSpace(testdataFile(t, "access.jwt"))
	args := []string{"verify", "--authority", srv.URL, "--issuer", "https://login.microsoftonline.com/{tenantid}/v2.0", "--audience", "api://workouts", "--json", access}
	plain := jwtrace(t, context.Background(), verifyEnv(t), args...)
	if plain.code != ExitOK || strings.Contains(plain.errOut, "> #1") {
		t.Fatalf("without --debug: exit %d, stderr %q", plain.code, plain.errOut)
	}
	for name, run := range map[string]func() run{
		"--debug": func() run {
			return jwtrace(t, context.Background(), verifyEnv(t), append([]string{"verify", "--debug"}, args[1:]...)...)
		},
		"JWTRACE_DEBUG=1": func() run {
			env := verifyEnv(t)
			env.Env = append(env.Env, "JWTRACE_DEBUG=1")
			return jwtrace(t, context.Background(), env, args...)
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := run()
			if r.code != ExitOK {
				t.Fatalf("exit %d\n%s", r.code, r.errOut)
			}
			for _, want := range []string{
				"> #1 GET " + srv.URL + "/.well-known/openid-configuration HTTP/1.1",
				"< #1 HTTP/1.1 200 OK (",
				"> #2 GET " + srv.URL + "/keys HTTP/1.1",
				"< Cache-Control: no-store",
			} {
				if !strings.Contains(r.errOut, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.errOut)
				}
			}
			if r.out != plain.out {
				t.Errorf("stdout changed with the trace:\n%s\nwant\n%s", r.out, plain.out)
			}
		})
	}
}
