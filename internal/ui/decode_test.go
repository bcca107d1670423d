package ui

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/decode"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var evalAt = time.Date(2026, 11, 27, 10, 50, 0, 0, time.UTC)

// TestRenderTokensMatchesGoldenFiles renders each sample token as a pipe
// would receive it. Review the diff of go test ./internal/ui -update before
// committing it.
func TestPrinterTokensMatchesGoldenFiles(t *testing.T) {
	for _, tc := range []struct {
		file    string
		explain bool
	}{
		{"access.jwt", true},
		{"access.jwt", false},
		{"response.json", false},
		{"nested.jwt", false},
		{"encrypted.jwe", false},
		{"none.jwt", false},
		{"es256-no-exp.jwt", false},
		{"hs256-long.jwt", false},
	} {
		name := strings.TrimSuffix(tc.file, filepath.Ext(tc.file))
		if tc.explain {
			name += "-explain"
		}
		t.Run(name, func(t *testing.T) {
			input, err := os.ReadFile(filepath.Join("..", "..", "testdata", "tokens", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			res, err := decode.Decode(input, decode.Options{Now: evalAt})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			s := &Streams{Env: nil}
			if err := s.Printer(&buf).Tokens(res.Tokens, DecodeView{Explain: tc.explain, Local: time.UTC}); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", name+".golden"), buf.Bytes())
		})
	}
}

func TestPrinterTokensShowsLocalTimeOutsideUTC(t *testing.T) {
	input, _ := os.ReadFile("../../testdata/tokens/access.jwt")
	res, err := decode.Decode(input, decode.Options{Now: evalAt})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zone := time.FixedZone("CET", 3600)
	if err := (&Streams{}).Printer(&buf).Tokens(res.Tokens, DecodeView{Local: zone}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "2026-11-27T11:02:11Z (2026-11-27 12:02:11 CET)  expires in 12m11s") {
		t.Errorf("no local time next to exp:\n%s", buf.String())
	}
}

func TestPrinterTokensNeverPrintsControlCharactersFromTheToken(t *testing.T) {
	hdr := `{"alg":"HS\u001b]0;pwned\u0007","kid":"\u001b]0;pwned\u0007"}`
	claims := `{"iss":"evil\u001b[2J","exp":1795777331,"\u001b[31mkey":"v","x\u001b[2J_at":1795777331,"bidi":"a\u202eb"}`
	b64 := func(s string) string { return strings.TrimRight(encodeB64(s), "=") }
	res, err := decode.Decode([]byte(b64(hdr)+"."+b64(claims)+"."+b64(strings.Repeat("s", 256))), decode.Options{Now: evalAt})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	// A color terminal's writer passes escape sequences through, so only
	// jwtrace's own escaping stands between the token and the terminal.
	color := &Streams{Env: []string{"TERM=xterm", "CLICOLOR_FORCE=1"}}
	if err := color.Printer(&buf).Tokens(res.Tokens, DecodeView{Explain: true}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"\x1b]", "\x1b[2J", "\x1b[31mkey", "\x07", "\u202e"} {
		if strings.Contains(buf.String(), bad) {
			t.Errorf("%q from the token reached the output:\n%q", bad, buf.String())
		}
	}
	if !strings.Contains(buf.String(), "31m") {
		t.Errorf("the test lost its color profile: %q", buf.String())
	}
	if !strings.Contains(buf.String(), `"evil\u001b[2J"`) || !strings.Contains(buf.String(), `kid "\x1b]0;pwned\x07"`) {
		t.Errorf("escaped value not shown:\n%s", buf.String())
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/ui -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test ./internal/ui -update and review the diff)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func encodeB64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestPrinterTokensIndentsLongArraysOverRealLines(t *testing.T) {
	groups := `["` + strings.Repeat("3f2b9c1e-0000-4000-8000-000000000000", 1) + `","` + strings.Repeat("a", 40) + `","` + strings.Repeat("b", 40) + `"]`
	claims := `{"iss":"https://i","groups":` + groups + `,"exp":1795777331}`
	res, err := decode.Decode([]byte(encodeB64(`{"alg":"RS256"}`)+"."+encodeB64(claims)+"."+encodeB64(strings.Repeat("s", 256))), decode.Options{Now: evalAt})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := (&Streams{}).Printer(&buf).Tokens(res.Tokens, DecodeView{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, `\x0a`) {
		t.Errorf("escaped newlines in the output:\n%s", out)
	}
	if !strings.Contains(out, "    \"groups\": [\n      \"3f2b9c1e-0000-4000-8000-000000000000\",\n") {
		t.Errorf("groups not indented over lines:\n%s", out)
	}
}

func TestPrinterTokensExplainsValuesPrintedOverSeveralLines(t *testing.T) {
	// Claims from an Azure AD access token (testdata/real): wids is printed
	// over several lines and keeps its explanation on its first line.
	wids := `["62e90394-69f5-4237-9190-012177145e10","b79fbf4d-3ef9-4689-8143-76b194e85509","cf1c38e5-3621-4004-a7cb-879624dced7c"]`
	claims := `{"iss":"https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/","tid":"72f988bf-86f1-41af-91ab-2d7cd011db47","ver":"1.0","wids":` + wids + `,"exp":1795777331}`
	header := `{"alg":"RS256","x5c":["` + strings.Repeat("MIIC", 30) + `"]}`
	res, err := decode.Decode([]byte(encodeB64(header)+"."+encodeB64(claims)+"."+encodeB64(strings.Repeat("s", 256))), decode.Options{Now: evalAt})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := (&Streams{}).Printer(&buf).Tokens(res.Tokens, DecodeView{Explain: true}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		`"wids": [  directory role template ids of the user (Azure AD)`,
		`"x5c": [  certificate chain (never trusted on its own)`,
		`"62e90394-69f5-4237-9190-012177145e10",`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}

func TestPrinterTokensNamesTheProviderAndWhatTheTokenIsFor(t *testing.T) {
	claims := `{"exp":1795777331,"iat":1795775531,"iss":"http://localhost:8085/realms/OSSS","aud":"http://localhost:8085/realms/OSSS","typ":"Refresh","azp":"osss-client"}`
	res, err := decode.Decode([]byte(encodeB64(`{"alg":"HS512"}`)+"."+encodeB64(claims)+"."+encodeB64(strings.Repeat("s", 64))), decode.Options{Now: evalAt})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := (&Streams{}).Printer(&buf).Tokens(res.Tokens, DecodeView{Explain: true}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"JWT · HS512 · Keycloak refresh token", `"typ": "Refresh",`, "Keycloak token type: refresh token"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "access token") {
		t.Errorf("a refresh token called an access token:\n%s", out)
	}
}

// jsonQuote is json.Marshal of a string, for every key a token can have.
func TestJSONQuoteIsMarshal(t *testing.T) {
	keys := []string{"", "aud", "preferred_username", "a b", "a\"b", "a\\b", "<x>", "a&b", "\x00", "\x1f",
		"\x7f", "é", "日本", "\u2028", "\u2029", "\xff", "a\xc3", "\ufffd", "~", " ", "\t", "\n"}
	for c := rune(0); c < 0x300; c++ {
		keys = append(keys, "k"+string(c))
	}
	for b := 0; b < 256; b++ {
		keys = append(keys, "k"+string([]byte{byte(b)}))
	}
	for _, k := range keys {
		want, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		if got := jsonQuote(k); got != string(want) {
			t.Errorf("jsonQuote(%q) = %s, json.Marshal gives %s", k, got, want)
		}
	}
}
