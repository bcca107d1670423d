package verify

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/decode"
)

var runSecret = []byte("0123456789abcdef0123456789abcdef")

func runPolicy() Policy {
	return Policy{Issuer: List("https://issuer.example"), Audience: List("api://x")}
}

func runToken(t *testing.T, aud string) string {
	return sign(t, runSecret, map[string]any{"alg": "HS256", "typ": "JWT"},
		map[string]any{"iss": "https://issuer.example", "aud": aud, "sub": "u1", "iat": testNow.Unix() - 60, "exp": testNow.Unix() + 600})
}

func TestRunVerifiesEveryTokenInTheInput(t *testing.T) {
	good, bad := runToken(t, "api://x"), runToken(t, "api://other")
	input := []byte("access_token=" + good + "&id_token=" + bad)
	rep, err := Run(context.Background(), Request{Policy: runPolicy(), Secret: runSecret, SecretSource: "test", At: testNow, Input: input})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 2 || !rep.Results[0].Valid || rep.Results[1].Valid || rep.Valid() {
		t.Fatalf("results: %+v", rep.Results)
	}
	if rep.Results[0].Source == "" || rep.Origin == nil || rep.Origin.Secret != "test" {
		t.Fatalf("source %q, origin %+v", rep.Results[0].Source, rep.Origin)
	}
}

func TestRunRefusesAnUnusablePolicyBeforeFetching(t *testing.T) {
	f := &Fetcher{Client: nil}
	_, err := Run(context.Background(), Request{Policy: Policy{Authority: Some("http://127.0.0.1:1"), Audience: List("")}, Input: []byte("x"), Fetcher: f})
	var re *RuleError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a *RuleError", err)
	}
}

func TestRunBatchCounts(t *testing.T) {
	in := strings.NewReader(runToken(t, "api://x") + "\n" + runToken(t, "api://no") + "\n")
	var out bytes.Buffer
	rep, err := Run(context.Background(), Request{Policy: runPolicy(), Secret: runSecret, At: testNow, Batch: in, BatchOut: &out})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Batch == nil || rep.Batch.Tokens != 2 || rep.Batch.Valid != 1 || rep.Valid() || strings.Count(out.String(), "\n") != 2 {
		t.Fatalf("batch %+v, out %q", rep.Batch, out.String())
	}
}

func TestRunRefusesATokenCutShortBesideAWholeOne(t *testing.T) {
	good := runToken(t, "api://x")
	_, err := Run(context.Background(), Request{Policy: runPolicy(), Secret: runSecret, At: testNow, Input: []byte(good + " eyJhbGciOiJIUzI1NiJ9")})
	var ce *InputCountError
	if !errors.As(err, &ce) || ce.TooMany || ce.Tokens != 2 || ce.Complete != 1 {
		t.Fatalf("err = %#v", err)
	}
}

func TestRunOnAnOpaqueTokenSaysSo(t *testing.T) {
	for _, in := range []string{"Bearer 2YotnFZFEjr1zCsicMWpAA", "2YotnFZFEjr1zCsicMWpAA", "Authorization: Bearer 2YotnFZFEjr1zCsicMWpAA"} {
		_, err := Run(context.Background(), Request{Policy: runPolicy(), Secret: runSecret, At: testNow, Input: []byte(in)})
		var oe *OpaqueTokenError
		var ie *decode.InputError
		if !errors.As(err, &oe) || !errors.As(err, &ie) {
			t.Errorf("%q: err = %#v, want an *OpaqueTokenError over decode's *InputError", in, err)
		}
	}
	for _, in := range []string{"hello world", "short", "Basic dXNlcjpwYXNzd29yZA=="} {
		_, err := Run(context.Background(), Request{Policy: runPolicy(), Secret: runSecret, At: testNow, Input: []byte(in)})
		var oe *OpaqueTokenError
		if err == nil || errors.As(err, &oe) {
			t.Errorf("%q: err = %v, want decode's error only", in, err)
		}
	}
}
