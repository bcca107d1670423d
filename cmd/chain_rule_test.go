package cmd

import (
	"strings"
	"testing"
)

// Argument hops declare rules with --rule KEY=VALUE, a chain file's keys,
// and jwtrace predicts for them as for file hops (issue 18).
func TestChainArgumentHopsDeclareRules(t *testing.T) {
	t.Parallel()
	w := newChainWorld(t)
	env := []string{"JWTRACE_TOKEN=" + w.token}
	r := chainRun(t, env, "--rule", "authority="+w.authority, "--rule", "audience=api://workouts", w.workouts+"/workouts", w.billing+"/plan")
	if r.code != ExitRejected || !strings.Contains(r.out, "predicts") && !strings.Contains(r.out, "agrees") {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	// billing wants api://billing and the declared rule says api://workouts:
	// the server and the declaration disagree, and jwtrace says so.
	if !strings.Contains(r.out, "DISAGREES") {
		t.Errorf("no disagreement reported for billing:\n%s", r.out)
	}
	// Without rules there is no prediction at all.
	plain := chainRun(t, env, w.workouts+"/workouts", w.billing+"/plan")
	if strings.Contains(plain.out, "DISAGREES") || strings.Contains(plain.out, "agrees") {
		t.Errorf("a prediction without rules:\n%s", plain.out)
	}
	for _, bad := range []struct{ arg, want string }{
		{"audience", "want KEY=VALUE"},
		{"key_files=x.pem", `"key_files" is not a chain-file rule`},
		{"typ=", "--rule typ= is empty"},
		{"audience=api://x", "say where the hop's keys come from"},
		{"allow_no_exp=maybe", "allow_no_exp is true or false"},
	} {
		r := chainRun(t, env, "--rule", bad.arg, w.workouts+"/workouts")
		if r.code != ExitUsage || !strings.Contains(r.errOut, bad.want) {
			t.Errorf("--rule %s: exit %d\n%s", bad.arg, r.code, r.errOut)
		}
	}
}
