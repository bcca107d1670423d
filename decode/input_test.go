package decode

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// A small valid-looking token used across the input tests.
var sample = enc(`{"alg":"RS256","kid":"k1"}`) + "." + enc(`{"sub":"alice","exp":1795773731}`) + "." + enc("signature-bytes")

func TestExtractFindsTheTokenInWhatPeoplePaste(t *testing.T) {
	tests := []struct {
		name   string
		input  string
		source string
	}{
		{"a bare token", sample, "input"},
		{"a token with surrounding whitespace and newlines", "\n\t  " + sample + "  \r\n", "input"},
		{"a token wrapped over several lines", sample[:20] + "\n" + sample[20:50] + "\r\n  " + sample[50:], "input"},
		{"a double-quoted token", `"` + sample + `"`, "input"},
		{"a single-quoted token", `'` + sample + `'`, "input"},
		{"a token copied out of code with a trailing comma", `"` + sample + `",`, "input"},
		{"a token after a byte order mark", "\uFEFF" + sample, "input"},
		{"Bearer prefix", "Bearer " + sample, "bearer token"},
		{"bearer prefix in lower case", "bearer " + sample, "bearer token"},
		{"BEARER prefix in upper case with a tab", "BEARER\t" + sample, "bearer token"},
		{"a whole Authorization line", "Authorization: Bearer " + sample, "Authorization header"},
		{"an Authorization line in lower case", "authorization:bearer " + sample, "Authorization header"},
		{"a quoted Authorization line", `"Authorization: Bearer ` + sample + `"`, "Authorization header"},
		{"a curl -H argument", `-H "Authorization: Bearer ` + sample + `"`, "Authorization header"},
		{"a curl --header argument", `--header 'authorization: Bearer ` + sample + `'`, "Authorization header"},
		{"a DPoP-scheme Authorization line", "Authorization: DPoP " + sample, "Authorization header"},
		{"an implicit-flow redirect URL fragment", "https://app.example.com/cb#id_token=" + sample + "&state=xyz", "id_token"},
		{"a bare fragment", "#access_token=" + sample + "&token_type=Bearer&expires_in=3600", "access_token"},
		{"a query string", "https://app.example.com/cb?state=1&id_token=" + sample, "id_token"},
		{"a form body", "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=" + sample, "assertion"},
		{"a whole curl command", `curl -sS -H 'Authorization: Bearer ` + sample + `' https://api.example.com/orders`, "text"},
		{"a log line", `2026-11-27T10:02:11Z WARN auth rejected token=` + sample + ` reason="aud"`, "text"},
		{"a JSON string", `"` + sample + `"`, "input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex, err := Extract([]byte(tt.input))
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if len(ex.Candidates) != 1 {
				t.Fatalf("got %d candidates, want 1: %+v", len(ex.Candidates), ex.Candidates)
			}
			c := ex.Candidates[0]
			if c.Token != sample {
				t.Errorf("token = %q, want the sample", c.Token)
			}
			if c.Source != tt.source {
				t.Errorf("source = %q, want %q", c.Source, tt.source)
			}
		})
	}
}

func TestExtractLabelsEveryTokenOfATokenResponse(t *testing.T) {
	id := enc(`{"alg":"RS256"}`) + "." + enc(`{"nonce":"n"}`) + "." + enc("s")
	resp := `{"token_type":"Bearer","expires_in":"3599","access_token":"` + sample + `",
	  "refresh_token":"0.AXEAopaque-refresh","id_token":"` + id + `"}`
	ex, err := Extract([]byte(resp))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range ex.Candidates {
		got = append(got, c.Source)
	}
	if strings.Join(got, ",") != "access_token,id_token" {
		t.Errorf("sources = %v, want access_token then id_token", got)
	}
	if len(ex.Notes) != 1 || !strings.Contains(ex.Notes[0], "refresh_token is not a JWT") {
		t.Errorf("notes = %q, want one saying the refresh token is opaque", ex.Notes)
	}
}

func TestExtractFindsTokensNestedInJSON(t *testing.T) {
	ex, err := Extract([]byte(`{"data":{"session":{"jwt":"` + sample + `"}},"list":["x","` + sample + `"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Candidates) != 2 || ex.Candidates[0].Source != "data.session.jwt" || ex.Candidates[1].Source != "list[1]" {
		t.Errorf("candidates = %+v, want data.session.jwt and list[1]", ex.Candidates)
	}
}

func TestExtractSaysWhatTheInputIsWhenItHoldsNoToken(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"empty input", "", "empty"},
		{"only whitespace", " \n\t ", "empty"},
		{"a 10 MB paste", strings.Repeat("A", 10<<20), "at most 1.0 MiB"},
		{"invalid UTF-8", "eyJ\xff\xfe.abc.def", "not UTF-8"},
		{"binary garbage", "\x00\x01\x02\x03binary", "control characters"},
		{"a URL without a token", "https://app.example.com/callback?code=abc&state=1", "URL without a token parameter"},
		{"an opaque reference token", "Bearer 2YotnFZFEjr1zCsicMWpAA2YotnFZFEjr1zCsicMWpAA", "opaque value"},
		{"JSON with only an opaque token", `{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"Bearer"}`, "access_token is not a JWT"},
		{"JSON without tokens", `{"error":"invalid_client","error_description":"bad secret"}`, "its keys: error, error_description"},
		{"invalid JSON", `{"access_token": `, "not valid JSON"},
		{"deeply nested JSON", strings.Repeat("[", 100000) + strings.Repeat("]", 100000), "nested more than"},
		{"a file name", "token.jwt", "looks like a file name"},
		{"prose", "hello world, no token here", "no JWT found"},
		{"a token with a character base64url lacks", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig!nature", `contains "!"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Extract([]byte(tt.input))
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an InputError", err)
			}
			if !strings.Contains(ie.Msg, tt.want) {
				t.Errorf("message %q does not say %q", ie.Msg, tt.want)
			}
		})
	}
}

func TestReadLimitedStopsReadingPastTheLimit(t *testing.T) {
	r := &countingReader{n: 50 << 20}
	_, err := ReadLimited(r)
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want an InputError", err)
	}
	if r.read > MaxInputBytes+64<<10 {
		t.Errorf("read %d bytes of a 50 MiB stream; want about %d", r.read, MaxInputBytes)
	}
}

type countingReader struct{ n, read int }

func (r *countingReader) Read(p []byte) (int, error) {
	if r.read >= r.n {
		return 0, io.EOF
	}
	for i := range p {
		p[i] = 'A'
	}
	r.read += len(p)
	return len(p), nil
}
