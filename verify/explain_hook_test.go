package verify_test

import (
	"github.com/jwtrace/jwtrace/verify"
	"github.com/jwtrace/jwtrace/verify/explain"
)

func init() {
	verify.SetTestRenderers(explain.CLI.Fill, explain.CLI.FillFailures, explain.CLI.RuleError)
}
