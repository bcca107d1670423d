package verify

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jwtrace/jwtrace/internal/netx"
	"github.com/jwtrace/jwtrace/internal/textsafe"
)

// Findings of the security review: each test fails on the code before the
// fix.

func TestRulesRefuseEmptyScopeAlgAndTyp(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Rules)
		want string
	}{
		{"an empty --scope (an unset $SCOPE)", func(r *Rules) { r.Scopes = []string{""} }, "--scope is empty"},
		{"a whitespace-only --scope", func(r *Rules) { r.Scopes = []string{" \t"} }, "--scope is empty"},
		{"an empty scope beside a real one (--scope read,)", func(r *Rules) { r.Scopes = []string{"read", ""} }, "--scope is empty"},
		{"an empty --alg", func(r *Rules) { r.Algs = []string{""} }, "--alg is empty"},
		{"a whitespace-only --alg", func(r *Rules) { r.Algs = []string{"  "} }, "--alg is empty"},
		{"an empty --typ that was given", func(r *Rules) { r.TypGiven = true }, "--typ is empty"},
		{"a whitespace-only --typ", func(r *Rules) { r.Typ = "  " }, "--typ is empty"},
		{"a whitespace-only --issuer", func(r *Rules) { r.Issuers = []string{" "} }, "--issuer is empty"},
	}
	for _, c := range cases {
		t.Run(c.name+" is a usage error", func(t *testing.T) {
			r := baseRules()
			c.edit(&r)
			err := ruleErr(r.Check())
			var re *RuleError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Check() = %v, want a RuleError saying %q", err, c.want)
			}
		})
	}
	t.Run("real values pass", func(t *testing.T) {
		r := baseRules()
		r.Scopes, r.Algs, r.Typ, r.TypGiven = []string{"read"}, []string{"RS256"}, "at+jwt", true
		if err := r.Check(); err != nil {
			t.Fatal(err)
		}
	})
}

// RFC 7519 §4.1.3: aud is a StringOrURI or an array of them. encoding/json
// turns a null member into "", so ["api://workouts", null] used to pass.
func TestAudienceArrayMustHoldOnlyStrings(t *testing.T) {
	testKeys(t)
	for _, aud := range []string{`["api://workouts",null]`, `[null,"api://workouts"]`, `["api://workouts",1]`, `["api://workouts",{}]`, `["api://workouts",["x"]]`, `["api://workouts",true]`} {
		t.Run("aud "+aud+" is rejected", func(t *testing.T) {
			c, _ := json.Marshal(claims(map[string]any{"aud": "AUD"}))
			tok := sign(t, rsaKey, rsHeader("k1"), strings.Replace(string(c), `"AUD"`, aud, 1))
			r := newVerifier(baseRules(), rsaPublic("k1", rsaKey)).Verify(bg, tok)
			mustFail(t, r, CheckAudience, "array of strings")
			if d := check(t, r, CheckAudience).Detail; !strings.Contains(d, "RFC 7519") {
				t.Errorf("the detail does not say why: %q", d)
			}
		})
	}
	t.Run("an array of strings still passes", func(t *testing.T) {
		tok := sign(t, rsaKey, rsHeader("k1"), claims(map[string]any{"aud": []string{"api://other", "api://workouts"}}))
		mustPass(t, newVerifier(baseRules(), rsaPublic("k1", rsaKey)).Verify(bg, tok))
	})
}

// hasRisky reports the first rune of s that must not reach a terminal raw.
func hasRisky(s string) (rune, bool) {
	for _, r := range s {
		if textsafe.Control(r) && r != '\n' {
			return r, true
		}
	}
	return 0, false
}

func TestBatchEscapesBidiAndC1Runes(t *testing.T) {
	testKeys(t)
	const sub, kid = "alice\u202egnp.exe\u0085x\u2066y\u200f", "k1\u202e\u0085\u009b31m"
	tok := sign(t, rsaKey, rsHeader(kid), claims(map[string]any{"sub": sub, "aud": "api://other\u202e"}))
	var out bytes.Buffer
	if _, err := newVerifier(baseRules(), rsaPublic("k2", rsaKey)).Batch(bg, strings.NewReader(tok+"\n"), &out, 1); err != nil {
		t.Fatal(err)
	}
	if r, bad := hasRisky(out.String()); bad {
		t.Fatalf("U+%04X reached the batch output raw:\n%q", r, out.String())
	}
	if !strings.Contains(out.String(), `\u202e`) || !strings.Contains(out.String(), `\u0085`) {
		t.Fatalf("the runes are not shown as escapes:\n%s", out.String())
	}
	var line BatchLine
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	if line.Subject != sub || line.Kid != kid || !strings.Contains(line.Errors[CheckAudience], "api://other\u202e") {
		t.Fatalf("the escapes do not decode to the token's values: %+v", line)
	}
}

// rawHTTPServer answers every connection with resp, byte for byte, on
// loopback: it can send what net/http's server never would.
func rawHTTPServer(t *testing.T, resp string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				br := bufio.NewReader(c)
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				_, _ = c.Write([]byte(resp))
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// checkOneSafeLine: the part of a FetchError that comes from the server is
// one line, escaped and bounded.
func checkOneSafeLine(t *testing.T, err error, want string) {
	t.Helper()
	var fe *FetchError
	if !errors.As(err, &fe) {
		t.Fatalf("err %T %v, want a FetchError", err, err)
	}
	msg, _, _ := strings.Cut(err.Error(), "\n  hint: ")
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("the message is more than one line:\n%.300s", msg)
	}
	if r, bad := hasRisky(err.Error()); bad {
		t.Errorf("U+%04X reached the message raw: %.300q", r, err.Error())
	}
	if !utf8.ValidString(err.Error()) {
		t.Errorf("invalid UTF-8 in %q", err.Error())
	}
	if len(err.Error()) > 2048 {
		t.Errorf("the message is %d bytes: %.300q…", len(err.Error()), err.Error())
	}
	if !strings.Contains(msg, want) {
		t.Errorf("the message does not contain %q:\n%.300s", want, msg)
	}
}

func TestServerTextInFetchErrorsIsOneSafeLine(t *testing.T) {
	fetch := func(t *testing.T, u string) error {
		f := &Fetcher{Client: &http.Client{Timeout: 3 * time.Second, CheckRedirect: netx.CheckRedirect(false)}}
		_, _, _, err := f.JWKS(bg, u, false)
		return err
	}
	t.Run("a hostile reason phrase", func(t *testing.T) {
		reason := "Not Found\x1b]0;pwned\x07\u202e\u0085" + strings.Repeat("A", 20000)
		u := rawHTTPServer(t, "HTTP/1.1 404 "+reason+"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		checkOneSafeLine(t, fetch(t, u), `HTTP 404 Not Found\x1b]0;pwned\x07\u202e\x85AAA`)
	})
	t.Run("an error body with line breaks and escapes", func(t *testing.T) {
		body := `{"error":"Realm does not exist"}` + "\n\njwtrace: VALID token\x1b[2J\u2028\u202e" + strings.Repeat("B", 10000)
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, body)
		}))
		t.Cleanup(s.Close)
		checkOneSafeLine(t, fetch(t, s.URL), `HTTP 404 Not Found; the server says: {"error":"Realm does not exist"}\x0a\x0ajwtrace: VALID token\x1b[2J\u2028\u202eBBB`)
	})
	t.Run("a JWKS whose error names a hostile kid", func(t *testing.T) {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"keys":[{"kty":"RSA","kid":"a\nb\u001b[31m\u202e","n":"!!","e":"AQAB"}]}`)
		}))
		t.Cleanup(s.Close)
		f := &Fetcher{Client: &http.Client{Timeout: 3 * time.Second}}
		_, origin, err := f.LoadKeys(bg, Sources{JWKSURL: s.URL})
		if err == nil && len(origin.Keys) == 0 {
			// cmd turns the notes into a FetchError; so does this test.
			err = &FetchError{URL: s.URL, Err: errors.New("no usable verification key: " + strings.Join(origin.Notes, "; "))}
		}
		checkOneSafeLine(t, err, "no usable verification key")
	})
}

// An AWS Cognito access token has no aud: the app client is in client_id,
// and token_use says "access" (AWS Cognito Developer Guide, "Understanding
// the access token"). The audience failure must say how to check it, and
// the advice must work.
func TestCognitoAccessTokenWithoutAudSaysHowToCheckTheClient(t *testing.T) {
	testKeys(t)
	const iss, client = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123", "1example23456789abcdefghij"
	tok := sign(t, rsaKey, map[string]any{"alg": "RS256", "kid": "k1"}, claims(map[string]any{
		"aud": nil, "scp": nil, "iss": iss, "client_id": client, "token_use": "access",
		"scope": "aws.cognito.signin.user.admin", "username": "alice", "auth_time": testNow.Add(-5 * time.Minute).Unix(),
	}))
	rules := baseRules()
	rules.Issuers, rules.Audiences = []string{iss}, []string{client}
	r := newVerifier(rules, rsaPublic("k1", rsaKey)).Verify(bg, tok)
	mustFail(t, r, CheckAudience, "no aud claim")
	hint := check(t, r, CheckAudience).Hint
	for _, want := range []string{"Cognito", "client_id", "--require client_id=" + client, "--skip-audience"} {
		if !strings.Contains(hint, want) {
			t.Errorf("hint %q does not say %q", hint, want)
		}
	}
	if strings.Contains(hint, "named in aud") || strings.Contains(hint, "ID token") {
		t.Errorf("hint %q misreads a token without aud", hint)
	}
	// The advice works.
	rules.Audiences, rules.SkipAudience = nil, true
	rules.Require = []Requirement{{Claim: "client_id", Value: client, HasValue: true}, {Claim: "token_use", Value: "access", HasValue: true}}
	r = newVerifier(rules, rsaPublic("k1", rsaKey)).Verify(bg, tok)
	if r.Valid != true || check(t, r, CheckClaims).Status != Pass {
		t.Fatalf("the advised rules reject the token: %s", dump(r))
	}
}
