package cmd

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/internal/config"
	"github.com/jwtrace/jwtrace/internal/ui"
)

// configEnv is a verify environment with a configuration file holding yaml.
func configEnv(t *testing.T, yaml string, extra ...string) *ui.Streams {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	s := verifyEnv(t)
	s.Env = append(append(s.Env, "JWTRACE_CONFIG="+path), extra...)
	return s
}

func TestProfilesAndEnvironmentFillVerifysFlags(t *testing.T) {
	t.Parallel()
	srv, _ := countingIDP(t, "no-store")
	access := strings.TrimSpace(testdataFile(t, "access.jwt"))
	cfg := `default: dev
profiles:
  dev:
    authority: ` + srv.URL + `
    issuer: https://login.microsoftonline.com/{tenantid}/v2.0
    audience: api://workouts
  other:
    authority: ` + srv.URL + `
    issuer: https://login.microsoftonline.com/{tenantid}/v2.0
    audience: api://other
  lib:
    authority: ` + srv.URL + `
    validator: jose
  bare:
    authority: ` + srv.URL + `
`
	tests := []struct {
		name  string
		extra []string
		args  []string
		code  int
		out   string
	}{
		{"the default profile gives authority, issuer and audience", nil, []string{"verify", access}, ExitOK, "VALID"},
		{"--profile picks another", nil, []string{"verify", "--profile", "other", access}, ExitRejected, "api://other"},
		{"$JWTRACE_PROFILE picks another", []string{"JWTRACE_PROFILE=other"}, []string{"verify", access}, ExitRejected, "api://other"},
		{"the environment beats the profile", []string{"JWTRACE_AUDIENCE=api://other"}, []string{"verify", access}, ExitRejected, "api://other"},
		{"a flag beats the environment", []string{"JWTRACE_AUDIENCE=api://other"}, []string{"verify", "--audience", "api://workouts", access}, ExitOK, "VALID"},
		{"--key keeps the profile's authority out", nil, []string{"verify", "--key", "../testdata/keys/jwks.json", access}, ExitOK, "local keys"},
		{"an unknown profile is a usage error", nil, []string{"verify", "--profile", "nope", access}, ExitUsage, ""},
		{"a profile's validator decides the rules left out", nil, []string{"verify", "--profile", "lib", access}, ExitOK, "jose checks no audience unless one is configured"},
		{"$JWTRACE_VALIDATOR names one", []string{"JWTRACE_VALIDATOR=jose"}, []string{"verify", "--profile", "bare", access}, ExitOK, "jose checks no issuer unless one is configured"},
		{"without one, issuer and audience are required", nil, []string{"verify", "--profile", "bare", access}, ExitUsage, "no audience rule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := jwtrace(t, context.Background(), configEnv(t, cfg, tt.extra...), tt.args...)
			if r.code != tt.code || !strings.Contains(r.out+r.errOut, tt.out) {
				t.Errorf("exit %d (want %d), want %q in\n%s%s", r.code, tt.code, tt.out, r.out, r.errOut)
			}
		})
	}
}

func TestABrokenConfigurationBreaksOnlyWhatUsesIt(t *testing.T) {
	t.Parallel()
	access := strings.TrimSpace(testdataFile(t, "access.jwt"))
	broken := "profiles:\n  dev:\n    client_secret: oops\n"
	if r := jwtrace(t, context.Background(), configEnv(t, broken), "decode", access); r.code != ExitOK {
		t.Errorf("decode with a broken configuration: exit %d\n%s", r.code, r.errOut)
	}
	r := jwtrace(t, context.Background(), configEnv(t, broken), "verify", "--skip-issuer", "--audience", "x", access)
	if r.code != ExitUsage || !strings.Contains(r.errOut, "client_secret") {
		t.Errorf("verify with a broken configuration: exit %d\n%s", r.code, r.errOut)
	}
}

func TestChainIgnoresLoginDefaultsWithoutLogin(t *testing.T) {
	t.Parallel()
	// $JWTRACE_AUTHORITY must not turn into chain's --authority, which
	// without --login is a usage error.
	s := &ui.Streams{In: strings.NewReader(""), Env: []string{"JWTRACE_AUTHORITY=http://127.0.0.1:1", "JWTRACE_CLIENT_ID=x", "JWTRACE_CACHE_DIR=" + t.TempDir()}}
	r := jwtrace(t, context.Background(), s, "chain", "--token", "opaque-token", "http://127.0.0.1:1/")
	if strings.Contains(r.errOut, "add --login") {
		t.Errorf("chain took the login defaults without --login:\n%s", r.errOut)
	}
}

func TestConfigShowsWhereEachDefaultComesFrom(t *testing.T) {
	t.Parallel()
	cfg := "default: dev\nprofiles:\n  dev:\n    authority: http://127.0.0.1:9400\n    client_id: jwtrace\n    scopes: [openid, workouts.read]\n"
	r := jwtrace(t, context.Background(), configEnv(t, cfg, "JWTRACE_CLIENT_ID=from-env"), "config")
	for _, want := range []string{
		"profile   dev (the file's default)",
		"authority  http://127.0.0.1:9400  profile dev",
		"client_id  from-env               $JWTRACE_CLIENT_ID",
		"scopes     openid workouts.read   profile dev",
		"audience   –                      not set",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("config lacks %q:\n%s", want, r.out)
		}
	}
	r = jwtrace(t, context.Background(), configEnv(t, cfg), "config", "--json")
	var out struct {
		Profile  string
		Settings []config.Setting
	}
	if err := json.Unmarshal([]byte(r.out), &out); err != nil || out.Profile != "dev" || len(out.Settings) != len(config.Keys) {
		t.Fatalf("config --json: %v\n%s", err, r.out)
	}
}

func TestProfilesFillLoginsFlags(t *testing.T) {
	t.Parallel()
	cfg := "profiles:\n  dev:\n    authority: http://127.0.0.1:1/profile-authority\n    client_id: jwtrace\n    scopes: [openid]\n"
	r := jwtrace(t, context.Background(), configEnv(t, cfg), "token", "--profile", "dev")
	if r.code == ExitOK || !strings.Contains(r.errOut, "127.0.0.1:1/profile-authority") {
		t.Errorf("token --profile dev did not use the profile's authority: exit %d\n%s", r.code, r.errOut)
	}
	r = jwtrace(t, context.Background(), configEnv(t, cfg), "token", "--profile", "dev", "--token-endpoint", "http://127.0.0.1:1/explicit", "--client-id", "x")
	if strings.Contains(r.errOut, "profile-authority") {
		t.Errorf("--token-endpoint given, yet the profile's authority was used:\n%s", r.errOut)
	}
}
