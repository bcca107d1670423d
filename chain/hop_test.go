package chain

import (
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/verify"
)

// A hop's rules that Rules.Check refuses are reported in the chain file's
// words (algs:, scopes:), not verify's flags.
func TestHopRuleErrorsNameFileKeys(t *testing.T) {
	for _, c := range []struct {
		name  string
		rules verify.Policy
		want  string
	}{
		{"alg none", verify.Policy{Authority: verify.Some("http://127.0.0.1:1"), Algs: verify.List("none")}, "hop 1 (api): rules: algs: none: unsigned tokens are never accepted"},
		{"an empty scope", verify.Policy{Authority: verify.Some("http://127.0.0.1:1"), Scopes: verify.List(" ")}, "hop 1 (api): rules: scopes: is empty (an unset variable?)"},
		{"an unknown alg", verify.Policy{Authority: verify.Some("http://127.0.0.1:1"), Algs: verify.List("RS1")}, "hop 1 (api): rules: algs: RS1: not a JWS algorithm"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Check([]Hop{{Name: "api", URL: "http://127.0.0.1:2/", Rules: NewRules(c.rules)}}, false)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "--") {
				t.Fatalf("err %v, want %q and no flag name", err, c.want)
			}
		})
	}
}
