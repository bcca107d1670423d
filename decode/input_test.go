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
		{"a whole curl command", `curl -sS -H 'Authorization: Bearer ` + sample + `' https://api.example.com/orders`, "bearer token"},
		{"a log line", `2026-11-27T10:02:11Z WARN auth rejected token=` + sample + ` reason="aud"`, "token"},
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

func TestExtractFindsTokensInLongerPastes(t *testing.T) {
	other := enc(`{"alg":"ES256"}`) + "." + enc(`{"sub":"bob"}`) + "." + enc("other-signature")
	tests := []struct {
		name    string
		input   string
		sources []string
		tokens  []string
	}{
		{"two tokens on two lines", sample + "\n" + other + "\n", []string{"text", "text"}, []string{sample, other}},
		{"two tokens as two arguments", sample + " " + other, []string{"text", "text"}, []string{sample, other}},
		{"a log line with key=value pairs", "level=warn token=" + sample + " path=/orders", []string{"token"}, []string{sample}},
		{"a one-field form body", "id_token=" + sample, []string{"id_token"}, []string{sample}},
		{"a shell export", "export TOKEN=" + sample, []string{"TOKEN"}, []string{sample}},
		{"a quoted shell assignment", "TOKEN='" + sample + "'", []string{"TOKEN"}, []string{sample}},
		{"Bearer after other words", "user=bob Bearer " + sample, []string{"bearer token"}, []string{sample}},
		{"Bearer with a remark after it", "Bearer " + sample + " (staging)", []string{"bearer token"}, []string{sample}},
		{"request headers copied from devtools", "Authorization: Bearer " + sample + "\nAccept: */*\nUser-Agent: curl/8.5.0", []string{"bearer token"}, []string{sample}},
		{"an HTTP dump with an opaque refresh_token parameter first", "POST /token?grant_type=refresh_token&refresh_token=abc HTTP/1.1\nAuthorization: Bearer " + sample, []string{"bearer token"}, []string{sample}},
		{"a HAR header entry", `{"name":"Authorization","value":"Bearer ` + sample + `"}`, []string{"value"}, []string{sample}},
		{"a structured log message", `{"msg":"rejected token=` + sample + `"}`, []string{"msg"}, []string{sample}},
		{"JSON Lines", "{\"msg\":\"start\"}\n{\"access_token\":\"" + sample + "\"}\n", []string{"line 2.access_token"}, []string{sample}},
		{"a URL-encoded redirect_uri", "https://idp/logout?redirect_uri=https%3A%2F%2Fapp%2Fcb%23id_token%3D" + sample, []string{"redirect_uri"}, []string{sample}},
		{"a token as a path segment", "https://app.example.com/magic/" + sample, []string{"text"}, []string{sample}},
		{"a cookie header", "Cookie: theme=dark; access_token=" + sample + "; lang=en", []string{"access_token"}, []string{sample}},
		{"Chrome's Copy as cURL (cmd)", `curl ^"https://api.example.com/^" -H ^"Authorization: Bearer ` + sample + `^"`, []string{"bearer token"}, []string{sample}},
		{"a token split with backslash-newline", sample[:30] + "\\\n" + sample[30:], []string{"input"}, []string{sample}},
		{"a token split with a PowerShell backtick", sample[:30] + "`\n" + sample[30:], []string{"input"}, []string{sample}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex, err := Extract([]byte(tt.input))
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			var sources, tokens []string
			for _, c := range ex.Candidates {
				sources = append(sources, c.Source)
				tokens = append(tokens, c.Token)
			}
			if strings.Join(sources, "|") != strings.Join(tt.sources, "|") {
				t.Errorf("sources = %q, want %q", sources, tt.sources)
			}
			if strings.Join(tokens, "|") != strings.Join(tt.tokens, "|") {
				t.Errorf("tokens = %q, want %q", tokens, tt.tokens)
			}
		})
	}
}

func TestExtractRecognisesBasicCredentials(t *testing.T) {
	_, err := Extract([]byte("Authorization: Basic dXNlcjpwYXNzd29yZA=="))
	if err == nil || !strings.Contains(err.Error(), "HTTP Basic credentials") {
		t.Errorf("err = %v, want it to name Basic credentials", err)
	}
}

func TestExtractCapsTheNumberOfTokens(t *testing.T) {
	in := strings.Repeat(sample+"\n", MaxTokens+50)
	// Each line is the same token; make them distinct so none is deduplicated.
	var b strings.Builder
	for i := 0; i < MaxTokens+50; i++ {
		b.WriteString(enc(`{"alg":"HS256","n":`+itoa(int64(i))+`}`) + "." + enc(`{}`) + ".c2ln\n")
	}
	in = b.String()
	ex, err := Extract([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Candidates) != MaxTokens || len(ex.Notes) != 1 || !strings.Contains(ex.Notes[0], "only the first 100") {
		t.Errorf("%d candidates, notes %q", len(ex.Candidates), ex.Notes)
	}
}

// A token's header need not start with eyJ: base64url of ` {"alg":…}` is
// IHsi…, of "\n{…" Cnsi…, of a pretty-printed "{\n  \"alg\"…" ewog…, and
// JSON parsers (jwtrace's and the verifiers') accept the whitespace. Such a
// token next to another one must be found too, or verify checks only the
// other one and reports it valid while the hidden one is never looked at.
func TestExtractFindsTokensWhoseHeaderDoesNotStartWithEyJ(t *testing.T) {
	spaced := enc(` {"alg":"HS256"}`) + "." + enc(`{"sub":"mallory"}`) + "." + enc("forged")
	newline := enc("\n"+`{"alg":"none"}`) + "." + enc(`{"sub":"mallory"}`) + "."
	pretty := enc("{\n  \"alg\": \"RS256\"\n}") + "." + enc(`{"sub":"mallory"}`) + "." + enc("forged-too")
	for name, prefix := range map[string]string{"spaced": "IHsi", "newline": "Cnsi", "pretty": "ewog"} {
		tok := map[string]string{"spaced": spaced, "newline": newline, "pretty": pretty}[name]
		if !strings.HasPrefix(tok, prefix) {
			t.Fatalf("the %s token starts %.4s, want %s", name, tok, prefix)
		}
	}
	tests := []struct {
		name   string
		input  string
		tokens []string
	}{
		{"a Cookie header with two session cookies", "Cookie: session=" + sample + "; csrf=" + spaced, []string{sample, spaced}},
		{"a Cookie header, the hidden token first", "Cookie: a=" + newline + "; b=" + sample, []string{newline, sample}},
		{"a Cookie header with a token parameter name", "Cookie: access_token=" + sample + "; x=" + spaced + "; lang=en", []string{sample, spaced}},
		{"a log line", "level=warn token=" + sample + " forwarded=" + pretty + " path=/orders", []string{sample, pretty}},
		{"two tokens on two lines", sample + "\n" + spaced + "\n", []string{sample, spaced}},
		{"two tokens as two arguments", spaced + " " + sample, []string{spaced, sample}},
		{"a URL with two token parameters", "https://app/cb#state=1&foo=" + spaced + "&id_token=" + sample, []string{spaced, sample}},
		{"JSON with two values", `{"a":"` + sample + `","b":"` + spaced + `"}`, []string{sample, spaced}},
		{"a JSON log message", `{"msg":"tokens ` + newline + ` and ` + sample + `"}`, []string{newline, sample}},
		{"one such token alone in text", "Bearer " + spaced + " (staging)", []string{spaced}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex, err := Extract([]byte(tt.input))
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			var got []string
			for _, c := range ex.Candidates {
				got = append(got, c.Token)
			}
			if strings.Join(got, "|") != strings.Join(tt.tokens, "|") {
				t.Errorf("tokens = %q\nwant     %q", got, tt.tokens)
			}
		})
	}
}

// Words with two dots whose first part is not a JSON object are not
// tokens: a version, a host name, base64 of an array or of broken JSON.
func TestExtractIgnoresDottedWordsThatAreNotTokens(t *testing.T) {
	for _, w := range []string{
		"1.2.3", "www.example.com", "api.v2.orders",
		enc(`["alg"]`) + "." + enc(`{}`) + ".c2ln",
		enc(` {"alg":`) + "." + enc(`{}`) + ".c2ln",
		enc(` "x"`) + "." + enc(`{}`) + ".c2ln",
	} {
		ex, err := Extract([]byte("release " + w + " shipped, token=" + sample))
		if err != nil {
			t.Fatalf("%s: %v", w, err)
		}
		if len(ex.Candidates) != 1 || ex.Candidates[0].Token != sample {
			t.Errorf("%s: candidates %+v, want only the sample", w, ex.Candidates)
		}
	}
}

// callReader counts its Read calls: each is a system call on a file.
type callReader struct {
	r     io.Reader
	calls int
}

func (c *callReader) Read(p []byte) (int, error) { c.calls++; return c.r.Read(p) }

// A size hint reads a file in one read (and the one that finds its end);
// a wrong hint still reads it all, and the limit holds whatever the hint.
func TestReadLimitedHint(t *testing.T) {
	data := strings.Repeat("eyJhbGciOiJSUzI1NiJ9.", 50) // 1050 bytes
	for _, hint := range []int64{0, 1, int64(len(data)), 10 * int64(len(data)), 1 << 40} {
		r := &callReader{r: strings.NewReader(data)}
		got, err := ReadLimitedHint(r, hint)
		if err != nil || string(got) != data {
			t.Fatalf("hint %d: %d bytes, %v", hint, len(got), err)
		}
		if hint >= int64(len(data)) && r.calls > 2 {
			t.Errorf("hint %d: %d reads, want 2", hint, r.calls)
		}
	}
	r := &countingReader{n: 50 << 20}
	_, err := ReadLimitedHint(r, 50<<20)
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("50 MiB with its size as the hint: err = %v, want an InputError", err)
	}
}
