package verify

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// numericDate reads a time as decode does: a fraction rounds down (also
// below zero), a far time is clamped, and what is not a number fails.
func TestNumericDate(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want int64
		ok   bool
	}{
		{"1795777331", 1795777331, true},
		{"1795777331.9", 1795777331, true},
		{"-1.5", -2, true}, // decode/times.go floors; verify used to cut to -1
		{"1e300", MaxNumericDate, true},
		{"-99999999999999999999", -MaxNumericDate, true},
		{"1e400", 0, false},
		{`"1795777331"`, 0, false},
		{"null", 0, false},
	} {
		got, err := numericDate(json.RawMessage(c.raw))
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("numericDate(%s) = %d, %v; want %d, ok %v", c.raw, got, err, c.want, c.ok)
		}
	}
}

// A far expiry reads as decode writes it, not as a seven-digit year.
func TestFarExpiry(t *testing.T) {
	testKeys(t)
	tok := sign(t, rsaKey, rsHeader("k1"), claims(map[string]any{"exp": json.Number("1e300")}))
	r := newVerifier(baseRules(), rsaPublic("k1", rsaKey)).Verify(bg, tok)
	mustPass(t, r)
	c := check(t, r, CheckExpiry)
	if strings.Contains(c.Detail, "4461763") || !strings.Contains(c.Detail, "a date out of range") || c.Code != CodeExpOK {
		t.Errorf("expiry %q (%s)", c.Detail, c.Code)
	}
}

// The time checks are one table: each reports its claim and code, and a
// failure carries the moment and the advice as data.
func TestTimeChecksAreData(t *testing.T) {
	testKeys(t)
	future := testNow.Add(time.Hour).Unix()
	tok := sign(t, rsaKey, rsHeader("k1"), claims(map[string]any{"exp": testNow.Add(-time.Minute).Unix(), "nbf": future, "iat": future}))
	r := newVerifier(baseRules(), rsaPublic("k1", rsaKey)).Verify(bg, tok)
	for name, want := range map[string]struct {
		claim string
		code  Code
		rule  string
	}{
		CheckExpiry:    {"exp", CodeExpExpired, RuleAt},
		CheckNotBefore: {"nbf", CodeNbfFuture, RuleLeeway},
		CheckIssuedAt:  {"iat", CodeIatFuture, RuleLeeway},
	} {
		var c Check
		for _, x := range r.Checks {
			if x.Name == name {
				c = x
			}
		}
		if c.Status != Fail || c.Claim != want.claim || c.Code != want.code || c.Params.Get("at") == "" || c.Detail != "" {
			t.Errorf("%s: %+v, want %s failing on %s with no text", name, c, want.code, want.claim)
		}
		if n := len(c.Advice); n == 0 || c.Advice[n-1].Code != AdviceRule || c.Advice[n-1].Params.Get("rule") != want.rule {
			t.Errorf("%s advice %+v, want the %s rule", name, c.Advice, want.rule)
		}
	}
}
