package decode

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecode feeds arbitrary input through extraction and parsing. Whatever
// the input, decode must not panic, must answer with a token or a typed
// error, and every token it returns must serialize to valid JSON.
//
//	go test ./decode -run '^$' -fuzz FuzzDecode -fuzztime 5m
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("../testdata/tokens/*")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		sample, "Bearer " + sample, "Authorization: Bearer " + sample, `-H "Authorization: Bearer ` + sample + `"`,
		"https://x/cb#id_token=" + sample + "&state=1", `{"access_token":"` + sample + `","refresh_token":"r"}`,
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.", "a.b", "a.b.c.d", "a.b.c.d.e", "eyJ=.eyJ+/.==", `{"a":[[[[`,
		enc(`{"alg":"ES256","cty":"JWT"}`) + "." + enc(sample) + ".sig",
		tok(`{"alg":"RS256","alg":"x","crit":["b64"],"b64":false,"jku":"u","kid":"../x"}`, `{"exp":"1","iat":1e400,"nbf":-1e30,"a":{"b":1,"b":2}}`),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		res, err := Decode(input, Options{Now: now})
		if err != nil {
			var ie *InputError
			var de *Error
			if !errors.As(err, &ie) && !errors.As(err, &de) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if len(res.Tokens) == 0 {
			t.Fatal("no error and no token")
		}
		for _, tk := range res.Tokens {
			b, err := json.Marshal(tk)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			if !json.Valid(b) || !utf8.Valid(b) {
				t.Fatalf("invalid JSON or UTF-8 output: %q", b)
			}
			if tk.Status == "" || tk.StatusText == "" {
				t.Fatalf("token without status: %+v", tk)
			}
		}
	})
}

// FuzzParseObject checks the ordered JSON parser against encoding/json: it
// accepts exactly the objects encoding/json accepts (within the depth
// limit), and sees the same members.
func FuzzParseObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":1,"a":2}`, `{"a":{"b":[1,{"c":2,"c":3}]}}`, `[1]`, `"s"`, `{"a":"\u0000"}`, `{"a":}`, ` { "x" : [ ] } `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		obj, _, err := parseObject(data)
		var m map[string]json.RawMessage
		stdErr := json.Unmarshal(data, &m)
		if err != nil {
			var oe *objectError
			if !errors.As(err, &oe) {
				t.Fatalf("untyped error %T", err)
			}
			if stdErr == nil && m != nil && oe.Kind != "depth" {
				t.Fatalf("parseObject rejected %q (%v) which encoding/json accepts", data, err)
			}
			return
		}
		if stdErr != nil || m == nil {
			t.Fatalf("parseObject accepted %q which encoding/json rejects (%v)", data, stdErr)
		}
		for _, mem := range obj.Members {
			if _, ok := m[mem.Key]; !ok {
				t.Fatalf("member %q not seen by encoding/json", mem.Key)
			}
		}
		if !json.Valid(obj.Raw) {
			t.Fatalf("Raw is not valid JSON: %s", obj.Raw)
		}
	})
}

func TestParseObjectOutputIsValidUTF8(t *testing.T) {
	obj, _, err := parseObject([]byte("{\"iss\":\"a\xffb\"}"))
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(obj.Raw) || !utf8.Valid(obj.Members[0].Value) {
		t.Errorf("invalid UTF-8 kept: %q", obj.Raw)
	}
}
