package verify

// The tests of this package read results the way verify's command line
// shows them: explain (which imports verify, so only an external test
// package can import it) renders them. explain_hook_test.go sets these.
var (
	testFill, testFillFailures func(*Result)
	testRuleError              func(error) error
)

// SetTestRenderers is how explain_hook_test.go (package verify_test)
// hands explain's CLI renderers to this package's tests.
func SetTestRenderers(fill, fillFailures func(*Result), rule func(error) error) {
	testFill, testFillFailures, testRuleError = fill, fillFailures, rule
}

// rendered fills r's text as verify's command line would.
func rendered(r *Result) *Result {
	testFill(r)
	return r
}

// ruleErr is err in verify's command-line words.
func ruleErr(err error) error {
	if err == nil {
		return nil
	}
	return testRuleError(err)
}
