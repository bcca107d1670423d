package chain

import (
	"strings"
	"testing"
)

// A hop's rules that Rules.Check refuses are reported in the chain file's
// words (algs:, scopes:), not verify's flags.
func TestHopRuleErrorsNameFileKeys(t *testing.T) {
	for _, c := range []struct {
		name  string
		rules Rules
		want  string
	}{
		{"alg none", Rules{Authority: "http://127.0.0.1:1", Algs: []string{"none"}}, "hop 1 (api): rules: algs: none: unsigned tokens are never accepted"},
		{"an empty scope", Rules{Authority: "http://127.0.0.1:1", Scopes: []string{" "}}, "hop 1 (api): rules: scopes: is empty (an unset variable?)"},
		{"an unknown alg", Rules{Authority: "http://127.0.0.1:1", Algs: []string{"RS1"}}, "hop 1 (api): rules: algs: RS1: not a JWS algorithm"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rules := c.rules
			err := Check([]Hop{{Name: "api", URL: "http://127.0.0.1:2/", Rules: &rules}}, false)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "--") {
				t.Fatalf("err %v, want %q and no flag name", err, c.want)
			}
		})
	}
}
