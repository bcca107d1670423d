package decode

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func tok(header, claims string) string {
	return enc(header) + "." + enc(claims) + "." + enc(strings.Repeat("s", 256))
}

// now is 2026-11-27T10:50:00Z; the claims below are relative to it.
var now = time.Date(2026, 11, 27, 10, 50, 0, 0, time.UTC)

func mustParse(t *testing.T, compact string) *Token {
	t.Helper()
	tk, err := Parse(compact, "input", Options{Now: now})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return tk
}

func codes(tk *Token) []string {
	var out []string
	for _, d := range tk.Diagnostics {
		out = append(out, d.Code)
	}
	return out
}

func hasCode(tk *Token, code string) bool {
	for _, d := range tk.Diagnostics {
		if d.Code == code {
			return true
		}
	}
	return false
}

func TestParseKeepsTheTokensOwnKeyOrder(t *testing.T) {
	tk := mustParse(t, tok(`{"typ":"at+jwt","alg":"RS256","kid":"k1"}`, `{"z":1,"iss":"https://i","a":[1,2],"exp":1795777331}`))
	var keys []string
	for _, m := range tk.Claims.Members {
		keys = append(keys, m.Key)
	}
	if got := strings.Join(keys, ","); got != "z,iss,a,exp" {
		t.Errorf("claim order = %s, want z,iss,a,exp", got)
	}
	out, err := json.Marshal(tk)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"header":{"typ":"at+jwt","alg":"RS256","kid":"k1"}`) {
		t.Errorf("JSON header not in token order: %s", out)
	}
	if !strings.Contains(string(out), `"claims":{"z":1,"iss":"https://i","a":[1,2],"exp":1795777331}`) {
		t.Errorf("JSON claims not in token order: %s", out)
	}
}

func TestParseKeepsLargeNumbersExactly(t *testing.T) {
	tk := mustParse(t, tok(`{"alg":"RS256"}`, `{"id":12345678901234567890123,"exp":1795777331}`))
	if v, _ := tk.Claims.Get("id"); string(v) != "12345678901234567890123" {
		t.Errorf("id = %s, want the exact digits", v)
	}
}

func TestParseEvaluatesTimes(t *testing.T) {
	iat := now.Add(-48 * time.Minute).Unix()
	tests := []struct {
		name   string
		claims string
		status Status
		text   string
	}{
		{"a token valid for 12 more minutes", `{"iat":` + itoa(iat) + `,"exp":` + itoa(now.Add(12*time.Minute).Unix()) + `}`, StatusValid, "valid for 12m more"},
		{"an expired token", `{"exp":` + itoa(now.Add(-3*time.Hour-12*time.Minute).Unix()) + `}`, StatusExpired, "expired 3h12m ago"},
		{"a token expiring this very second", `{"exp":` + itoa(now.Unix()) + `}`, StatusExpired, "expired 0s ago"},
		{"a token not valid yet", `{"nbf":` + itoa(now.Add(5*time.Minute).Unix()) + `,"exp":` + itoa(now.Add(time.Hour).Unix()) + `}`, StatusNotYetValid, "becomes valid in 5m"},
		{"a token without exp", `{"iat":` + itoa(iat) + `}`, StatusNoExpiry, "no expiry"},
		{"a fractional exp", `{"exp":` + itoa(now.Add(time.Hour).Unix()) + `.75}`, StatusValid, "valid for 1h more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := mustParse(t, tok(`{"alg":"RS256"}`, tt.claims))
			if tk.Status != tt.status || !strings.Contains(tk.StatusText, tt.text) {
				t.Errorf("status = %s %q, want %s %q", tk.Status, tk.StatusText, tt.status, tt.text)
			}
		})
	}
}

func TestParseDescribesEachTimeClaim(t *testing.T) {
	iat := now.Add(-48 * time.Minute)
	exp := iat.Add(time.Hour)
	tk := mustParse(t, tok(`{"alg":"RS256"}`, `{"iat":`+itoa(iat.Unix())+`,"exp":`+itoa(exp.Unix())+`,"auth_time":`+itoa(iat.Unix()-30)+`,"updated_at":1700000000,"session_count":5}`))
	want := map[string]string{
		"iat":        "issued 48m ago",
		"exp":        "expires in 12m",
		"auth_time":  "sign-in time 48m30s ago",
		"updated_at": "profile updated 1108d ago",
	}
	if len(tk.Times) != len(want) {
		t.Fatalf("times = %+v, want %d entries", tk.Times, len(want))
	}
	for _, tm := range tk.Times {
		if tm.Relative != want[tm.Claim] {
			t.Errorf("%s relative = %q, want %q", tm.Claim, tm.Relative, want[tm.Claim])
		}
	}
	if tk.Times[1].UTC != exp.UTC().Format(time.RFC3339) {
		t.Errorf("exp UTC = %s", tk.Times[1].UTC)
	}
	if tk.Lifetime == nil || tk.Lifetime.Seconds != 3600 || tk.Lifetime.Human != "1h" {
		t.Errorf("lifetime = %+v, want 1h", tk.Lifetime)
	}
}

func TestParseDiagnosesWhatLooksWrong(t *testing.T) {
	exp := itoa(now.Add(time.Hour).Unix())
	iat := itoa(now.Add(-time.Minute).Unix())
	good := `{"iss":"https://i","aud":"a","iat":` + iat + `,"exp":` + exp + `}`
	tests := []struct {
		name   string
		token  string
		code   string
		severe Severity
	}{
		{"padded base64", enc(`{"alg":"RS256"}`) + "=." + enc(good) + "." + enc("s"), CodePadded, SevWarning},
		{"standard-alphabet base64", enc(`{"alg":"RS256"}`) + "." + enc(good) + "." + base64.RawStdEncoding.EncodeToString([]byte{0xfb, 0xff, 0xfe}), CodeStdAlphabet, SevWarning},
		{"bad base64 in the payload", enc(`{"alg":"RS256"}`) + ".e!yJ." + enc("s"), CodeBase64, SevError},
		{"claims that are not JSON", tok(`{"alg":"RS256"}`, `not json`), CodeClaimsJSON, SevError},
		{"claims that are a JSON array", tok(`{"alg":"RS256"}`, `["a"]`), CodeClaimsJSON, SevError},
		{"duplicate claims", tok(`{"alg":"RS256"}`, `{"sub":"a","sub":"admin","exp":`+exp+`}`), CodeDuplicateKey, SevError},
		{"duplicate keys nested in a claim", tok(`{"alg":"RS256"}`, `{"address":{"country":"a","country":"b"},"exp":`+exp+`}`), CodeDuplicateKey, SevError},
		{"duplicate header keys", tok(`{"alg":"RS256","alg":"none"}`, good), CodeDuplicateKey, SevError},
		{"alg none", enc(`{"alg":"none"}`) + "." + enc(good) + ".", CodeAlgNone, SevError},
		{"alg nOnE", enc(`{"alg":"nOnE"}`) + "." + enc(good) + ".", CodeAlgNone, SevError},
		{"no alg", tok(`{"typ":"JWT"}`, good), CodeNoAlg, SevError},
		{"a stripped signature", enc(`{"alg":"RS256"}`) + "." + enc(good) + ".", CodeNoSignature, SevError},
		{"a DER-encoded ES256 signature", enc(`{"alg":"ES256"}`) + "." + enc(good) + "." + enc(strings.Repeat("d", 71)), CodeSigLength, SevError},
		{"a truncated HS256 signature", enc(`{"alg":"HS256"}`) + "." + enc(good) + "." + enc("short"), CodeSigLength, SevError},
		{"no exp", tok(`{"alg":"RS256"}`, `{"iss":"https://i","aud":"a"}`), CodeNoExp, SevWarning},
		{"a lifetime of 30 days", tok(`{"alg":"RS256"}`, `{"iss":"i","iat":`+iat+`,"exp":`+itoa(now.Add(30*24*time.Hour).Unix())+`}`), CodeLongLifetime, SevWarning},
		{"exp in milliseconds", tok(`{"alg":"RS256"}`, `{"iss":"i","exp":`+itoa(now.Add(time.Hour).Unix()*1000)+`}`), CodeTimeMillis, SevWarning},
		{"exp as a string", tok(`{"alg":"RS256"}`, `{"iss":"i","exp":"`+exp+`"}`), CodeTimeType, SevWarning},
		{"exp before iat", tok(`{"alg":"RS256"}`, `{"iss":"i","iat":`+exp+`,"exp":`+iat+`}`), CodeTimeOrder, SevWarning},
		{"iat in the future", tok(`{"alg":"RS256"}`, `{"iss":"i","iat":`+exp+`,"exp":`+itoa(now.Add(2*time.Hour).Unix())+`}`), CodeIatFuture, SevWarning},
		{"aud as a string", tok(`{"alg":"RS256"}`, good), CodeAudString, SevInfo},
		{"aud as an array", tok(`{"alg":"RS256"}`, `{"iss":"i","aud":["a","b"],"exp":`+exp+`}`), CodeAudArray, SevInfo},
		{"aud as an empty array", tok(`{"alg":"RS256"}`, `{"iss":"i","aud":[],"exp":`+exp+`}`), CodeAudEmpty, SevWarning},
		{"no iss", tok(`{"alg":"RS256"}`, `{"exp":`+exp+`}`), CodeNoIss, SevWarning},
		{"a nonce in the header (Microsoft Graph)", tok(`{"alg":"RS256","nonce":"abc"}`, good), CodeHeaderNonce, SevWarning},
		{"an ID token", tok(`{"alg":"RS256"}`, `{"iss":"i","nonce":"n","at_hash":"h","exp":`+exp+`}`), CodeIDToken, SevInfo},
		{"an RFC 9068 access token", tok(`{"alg":"RS256","typ":"at+jwt"}`, good), CodeAccessToken, SevInfo},
		{"an access token with scp", tok(`{"alg":"RS256"}`, `{"iss":"i","scp":"read","exp":`+exp+`}`), CodeAccessToken, SevInfo},
		{"crit", tok(`{"alg":"RS256","crit":["exp"],"exp":1}`, good), CodeCrit, SevWarning},
		{"b64 false", tok(`{"alg":"RS256","b64":false,"crit":["b64"]}`, good), CodeB64False, SevWarning},
		{"a jku header", tok(`{"alg":"RS256","jku":"https://attacker.example/jwks"}`, good), CodeKeyURL, SevWarning},
		{"an x5u header", tok(`{"alg":"RS256","x5u":"https://attacker.example/cert"}`, good), CodeKeyURL, SevWarning},
		{"an embedded jwk", tok(`{"alg":"RS256","jwk":{"kty":"RSA","n":"x","e":"AQAB"}}`, good), CodeKeyURL, SevWarning},
		{"an x5c chain", tok(`{"alg":"RS256","x5c":["MIIB"]}`, good), CodeX5C, SevInfo},
		{"a kid with path traversal", tok(`{"alg":"HS256","kid":"../../dev/null"}`, good), CodeKidSuspect, SevWarning},
		{"a kid with SQL", tok(`{"alg":"HS256","kid":"x' UNION SELECT 'key"}`, good), CodeKidSuspect, SevWarning},
		{"a small RSA key", enc(`{"alg":"RS256"}`) + "." + enc(good) + "." + enc(strings.Repeat("s", 128)), CodeSigLength, SevWarning},
		{"claims with invalid UTF-8", tok(`{"alg":"RS256"}`, "{\"iss\":\"\xff\",\"exp\":"+exp+"}"), CodeInvalidUTF8, SevWarning},
		{"claims nested 40 levels deep", tok(`{"alg":"RS256"}`, `{"x":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`}`), CodeTooDeep, SevError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := mustParse(t, tt.token)
			for _, d := range tk.Diagnostics {
				if d.Code == tt.code {
					if d.Severity != tt.severe {
						t.Errorf("%s has severity %s, want %s", d.Code, d.Severity, tt.severe)
					}
					if d.Message == "" {
						t.Errorf("%s has no message", d.Code)
					}
					return
				}
			}
			t.Errorf("no %s diagnostic; got %v", tt.code, codes(tk))
		})
	}
}

func TestParseGivesACleanTokenNoWarnings(t *testing.T) {
	tk := mustParse(t, tok(`{"alg":"RS256","kid":"k1","typ":"at+jwt"}`, `{"iss":"https://i","aud":["api"],"iat":`+itoa(now.Add(-time.Minute).Unix())+`,"exp":`+itoa(now.Add(time.Hour).Unix())+`,"scp":"read"}`))
	for _, d := range tk.Diagnostics {
		if d.Severity != SevInfo {
			t.Errorf("unexpected %s %s: %s", d.Severity, d.Code, d.Message)
		}
	}
	if tk.Kind != KindJWS || tk.Signature.Alg != "RS256" || tk.Signature.Kid != "k1" || tk.Signature.Bytes != 256 {
		t.Errorf("kind/signature = %s %+v", tk.Kind, tk.Signature)
	}
}

func TestParseRejectsWhatIsNotAToken(t *testing.T) {
	tests := []struct {
		name, token, code, msg string
	}{
		{"a truncated token (one dot)", enc(`{"alg":"RS256"}`) + "." + enc(`{"sub":"a"}`)[:5], CodeParts, "looks truncated"},
		{"four parts", "a.b.c.d", CodeParts, "4 parts"},
		{"six parts", "a.b.c.d.e.f", CodeParts, "6 parts"},
		{"a header that is not base64", "e$J.abc.def", CodeBase64, "header is not base64url"},
		{"a header that is binary", enc("\x00\x01\x02") + ".abc.def", CodeHeaderJSON, "binary"},
		{"a header that is a JSON string", enc(`"alg"`) + ".abc.def", CodeHeaderJSON, "a string, not an object"},
		{"a header nested too deep", enc(strings.Repeat("[", 1000)+strings.Repeat("]", 1000)) + ".abc.def", CodeTooDeep, "nested more than"},
		{"an oversized token", enc(`{"alg":"RS256"}`) + "." + strings.Repeat("A", MaxTokenBytes) + ".sig", CodeTooLarge, "up to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.token, "input", Options{Now: now})
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a decode.Error", err)
			}
			if de.Code != tt.code || !strings.Contains(de.Msg, tt.msg) {
				t.Errorf("got %s %q, want %s containing %q", de.Code, de.Msg, tt.code, tt.msg)
			}
		})
	}
}

func TestParseShowsAJWEsHeaderAndSaysThePayloadIsEncrypted(t *testing.T) {
	jwe := enc(`{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"e1","cty":"JWT"}`) + "." + enc("key") + "." + enc("iv-iv-iv-iv-") + "." + enc("ciphertext") + "." + enc("tag-tag-tag-tag-")
	tk := mustParse(t, jwe)
	if tk.Kind != KindJWE || tk.Status != StatusEncrypted || tk.Claims != nil {
		t.Fatalf("kind %s status %s claims %v", tk.Kind, tk.Status, tk.Claims)
	}
	if tk.Encryption.Alg != "RSA-OAEP-256" || tk.Encryption.Enc != "A256GCM" || tk.Encryption.Ciphertext != 10 {
		t.Errorf("encryption = %+v", tk.Encryption)
	}
	if !hasCode(tk, CodeEncrypted) {
		t.Errorf("no encrypted diagnostic: %v", codes(tk))
	}
	// Empty IV, ciphertext and tag: damaged.
	tk = mustParse(t, enc(`{"alg":"dir","enc":"A256GCM"}`)+"....")
	if !hasCode(tk, CodeJWEPart) || tk.Status != StatusMalformed {
		t.Errorf("empty JWE parts: status %s, diagnostics %v", tk.Status, codes(tk))
	}
	// Five parts without enc is not a JWE.
	tk = mustParse(t, enc(`{"alg":"RS256"}`)+".a.b.c.d")
	if !hasCode(tk, CodeNoEnc) {
		t.Errorf("five parts without enc: no %s diagnostic: %v", CodeNoEnc, codes(tk))
	}
}

func TestParseDecodesANestedJWTOneLevelDown(t *testing.T) {
	inner := tok(`{"alg":"RS256","kid":"inner"}`, `{"iss":"https://i","sub":"alice","exp":`+itoa(now.Add(time.Hour).Unix())+`}`)
	outer := enc(`{"alg":"ES256","cty":"JWT"}`) + "." + enc(inner) + "." + enc(strings.Repeat("e", 64))
	tk := mustParse(t, outer)
	if tk.Nested == nil {
		t.Fatalf("no nested token; diagnostics %v", codes(tk))
	}
	if sub, _ := tk.Nested.Claims.String("sub"); sub != "alice" {
		t.Errorf("nested sub = %q", sub)
	}
	if tk.Status != StatusValid {
		t.Errorf("outer status = %s, want the inner token's", tk.Status)
	}

	// cty JWT over a payload that is not a token is an error.
	tk = mustParse(t, enc(`{"alg":"ES256","cty":"JWT"}`)+"."+enc("not a token")+"."+enc(strings.Repeat("e", 64)))
	if tk.Status != StatusMalformed || !hasCode(tk, CodeNested) || !tk.HasErrors() {
		t.Errorf("bad nested payload: status %s, diagnostics %+v", tk.Status, tk.Diagnostics)
	}

	// A chain of nested tokens deeper than the limit stops with a diagnostic.
	deep := inner
	for i := 0; i < maxNested+2; i++ {
		deep = enc(`{"alg":"ES256","cty":"JWT"}`) + "." + enc(deep) + "." + enc(strings.Repeat("e", 64))
	}
	if len(deep) < MaxTokenBytes {
		tk = mustParse(t, deep)
		for tk.Nested != nil {
			tk = tk.Nested
		}
		if !hasCode(tk, CodeTooDeep) {
			t.Errorf("deep nesting: innermost diagnostics %v, want %s", codes(tk), CodeTooDeep)
		}
	}
}

func TestHumanDurations(t *testing.T) {
	for _, tt := range []struct {
		s    int64
		want string
	}{
		{0, "0s"}, {45, "45s"}, {60, "1m"}, {725, "12m5s"}, {3600, "1h"}, {11520, "3h12m"},
		{86400, "1d"}, {2*86400 + 4*3600 + 59, "2d4h"}, {400 * 86400, "400d"}, {-90, "1m30s"},
		{200 * 365 * 86400, "200y"}, {-1 << 63, "292471208677y"},
	} {
		if got := HumanSeconds(tt.s); got != tt.want {
			t.Errorf("HumanSeconds(%d) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestDecodeReportsEveryTokenAndEveryFailure(t *testing.T) {
	good := tok(`{"alg":"RS256"}`, `{"iss":"i","exp":`+itoa(now.Add(time.Hour).Unix())+`}`)
	res, err := Decode([]byte(`{"access_token":"`+good+`","id_token":"eyJhbGciOiJSUzI1NiJ9.eyJ.a.b"}`), Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tokens) != 1 || len(res.Failed) != 1 || !res.OK() {
		t.Errorf("tokens %d failed %d ok %v", len(res.Tokens), len(res.Failed), res.OK())
	}
	if res.Failed[0].Source != "id_token" || res.Failed[0].Code != CodeParts {
		t.Errorf("failure = %+v", res.Failed[0])
	}

	// A single malformed token is an error of its own.
	_, err = Decode([]byte("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJh"), Options{Now: now})
	var de *Error
	if !errors.As(err, &de) || de.Code != CodeParts {
		t.Errorf("err = %v, want a parts error", err)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestParseUsesTheLastOfDuplicateTimeClaims(t *testing.T) {
	tk := mustParse(t, tok(`{"alg":"RS256"}`, `{"iss":"x","exp":`+itoa(now.Add(time.Hour).Unix())+`,"exp":1}`))
	if tk.Status != StatusExpired {
		t.Errorf("status = %s, want expired (the last exp counts)", tk.Status)
	}
	if len(tk.Times) != 2 || tk.Times[0].Member != 1 || tk.Times[1].Member != 2 {
		t.Errorf("times = %+v, want one per exp member", tk.Times)
	}
	if !hasCode(tk, CodeDuplicateKey) {
		t.Errorf("no duplicate-key diagnostic: %v", codes(tk))
	}
}

func TestParseNeverOverflowsOnExtremeTimes(t *testing.T) {
	tests := []struct {
		name, claims string
		status       Status
		code         string
	}{
		{"exp at the smallest int64", `{"exp":-9223372036854775808}`, StatusExpired, CodeTimeRange},
		{"exp at the largest int64", `{"exp":9223372036854775807}`, StatusValid, CodeTimeRange},
		{"exp of 1e300", `{"exp":1e300}`, StatusValid, CodeTimeRange},
		{"exp of -1e999 (beyond float64)", `{"exp":-1e999}`, StatusExpired, CodeTimeRange},
		{"iat and exp at opposite ends", `{"iat":-9223372036854775808,"exp":9223372036854775807}`, StatusValid, CodeLongLifetime},
		{"exp in milliseconds", `{"exp":1795777331000}`, StatusValid, CodeTimeMillis},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := mustParse(t, tok(`{"alg":"RS256"}`, tt.claims))
			if tk.Status != tt.status {
				t.Errorf("status = %s (%s), want %s", tk.Status, tk.StatusText, tt.status)
			}
			if !hasCode(tk, tt.code) {
				t.Errorf("no %s diagnostic: %v", tt.code, codes(tk))
			}
			if hasCode(tk, CodeTimeOrder) {
				t.Errorf("false time-order diagnostic: %v", tk.Diagnostics)
			}
			for _, d := range tk.Diagnostics {
				if d.Code == CodeTimeMillis && !strings.Contains(d.Message, "the year 58875") {
					t.Errorf("millis message %q does not name the year it reads as", d.Message)
				}
			}
		})
	}
}
