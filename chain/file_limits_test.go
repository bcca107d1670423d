package chain

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// hostileFiles are chain files that cost the YAML parser (goccy/go-yaml
// v1.19.2) gigabytes or minutes: its memory grows with the square of the
// nesting depth, its time with the square of a mapping's keys, and its
// error printer with the square of a line's tokens.
func hostileFiles() map[string]string {
	staircase := func(n int) string {
		var b strings.Builder
		b.WriteString("hops:\n")
		for i := 0; i < n; i++ {
			b.WriteString(strings.Repeat(" ", i+2) + "a:\n")
		}
		return b.String()
	}
	manyKeys := func(n int) string {
		var b strings.Builder
		b.WriteString("hops:\n  - url: http://127.0.0.1:1/\n    headers:\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "      X-H%d: v\n", i)
		}
		return b.String()
	}
	return map[string]string{
		"flow sequences":              "hops: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "\n",
		"unclosed flow sequences":     "hops:\n  - url: " + strings.Repeat("[", 150_000) + "\n",
		"flow mappings":               "hops: " + strings.Repeat("{a: ", 40_000) + "x" + strings.Repeat("}", 40_000) + "\n",
		"flow mappings after ${":      "hops: [" + strings.Repeat("${a: ", 30_000) + "\n",
		"block sequences on a line":   "hops:\n" + strings.Repeat("- ", 80_000) + "x\n",
		"an indentation staircase":    staircase(600),
		"closers hidden in quotes":    "hops: " + strings.Repeat(`[[[[ "]]]]" `, 20_000) + "\n",
		"closers hidden in ' quotes":  "hops: " + strings.Repeat(`[[[[ ']]]]' `, 20_000) + "\n",
		"closers hidden in comments":  "hops: " + strings.Repeat("[[[[ # ]]]]\n ", 20_000) + "\n",
		"twenty thousand header keys": manyKeys(20_000),
		"a flat sequence":             "hops: [" + strings.Repeat("a,", 200_000) + "]\n",
		"many hops":                   "hops:\n" + strings.Repeat("  - url: http://127.0.0.1:1/\n", 5000),
		"one long line":               "hops: [{url: x, expect: [" + strings.Repeat("1,", 300_000) + "]}]\n",
		// Brackets in a quoted string do not nest, but prescan does not
		// rely on its reading of quotes alone.
		"brackets in a string": "hops: [{url: \"" + strings.Repeat("[", 5000) + "\"}]\n",
	}
}

// Each hostile file is refused quickly, in little memory, with an error
// that says what is wrong and where.
func TestHostileChainFilesAreBounded(t *testing.T) {
	want := map[string]string{
		"flow sequences":              "line 1: nested more than 32 levels deep",
		"unclosed flow sequences":     "line 2: nested more than 32 levels deep",
		"flow mappings":               "line 1: nested more than 32 levels deep",
		"flow mappings after ${":      "line 1: nested more than 32 levels deep",
		"block sequences on a line":   "line 2: nested more than 32 levels deep",
		"an indentation staircase":    "line 33: nested more than 32 levels deep",
		"closers hidden in quotes":    "line 1: nested more than 32 levels deep",
		"closers hidden in ' quotes":  "line 1: nested more than 32 levels deep",
		"closers hidden in comments":  "nested more than 32 levels deep",
		"twenty thousand header keys": "line 1028: more than 1024 entries in one list or mapping",
		"a flat sequence":             "line 1: more than 1024 entries in one list or mapping",
		"many hops":                   "line 1026: more than 1024 entries in one list or mapping",
		"one long line":               "line 1: more than 1024 entries in one list or mapping",
		"brackets in a string":        "line 1: more than 4096 [ and { in the file",
	}
	for name, file := range hostileFiles() {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := ParseFile("chain.yaml", []byte(file), nil)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), want[name]) {
				t.Errorf("error = %.300v\nwant %q", err, want[name])
			}
			if err != nil && len(err.Error()) > 2000 {
				t.Errorf("an error of %d bytes", len(err.Error()))
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("%d MiB allocated for %d KiB", alloc>>20, len(file)>>10)
			}
			if took > 3*time.Second {
				t.Errorf("took %s", took)
			}
		})
	}
}

func TestChainFileTooLarge(t *testing.T) {
	big := "hops:\n  - url: http://127.0.0.1:1/\n#" + strings.Repeat("x", MaxFileBytes) + "\n"
	_, err := ParseFile("chain.yaml", []byte(big), nil)
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("error = %.300v", err)
	}
	path := filepath.Join(t.TempDir(), "chain.yaml")
	if err := os.WriteFile(path, []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(path, nil); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("LoadFile error = %.300v", err)
	}
}

// What chain files really hold passes the pre-scan: bodies in block
// scalars with deeply nested JSON, brackets and quotes inside strings,
// comments, ${NAME} templates, {tenantid} issuers, long URLs.
func TestOrdinaryChainFilesPassThePrescan(t *testing.T) {
	deepJSON := strings.Repeat(`{"a":`, 60) + "1" + strings.Repeat("}", 60)
	var indented strings.Builder
	for i := 0; i < 40; i++ {
		indented.WriteString("      " + strings.Repeat("  ", i) + "{\n")
	}
	file := `# a chain with everything
defaults:
  headers: {X-Request-Id: "id-[1]", X-Quote: 'it''s ]]] fine', X-Brace: "}}}}"}
  rules:
    authority: http://127.0.0.1:9400   # ]]]] a comment
    issuer: 'https://login.example/{tenantid}/v2.0'
hops:
  - name: "a [hop]"
    url: http://127.0.0.1:8081/x?q=[1]&r={2}
    method: POST
    body: |
` + indented.String() + `    expect: [200, 201]
  - name: json
    url: http://127.0.0.1:8082/y
    method: POST
    body: '` + deepJSON + `'
  - name: folded
    url: http://127.0.0.1:8083/z
    method: POST
    body: >-
      [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
      "unterminated
    rules: {audience: [api://z, "api://[w]"], scopes: "a b,c"}
`
	hops, err := ParseFile("chain.yaml", []byte(file), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(hops) != 3 || !strings.HasPrefix(string(hops[0].Body), "{\n  {") || string(hops[1].Body) != deepJSON || !strings.HasPrefix(string(hops[2].Body), "[[[[") {
		t.Errorf("hops = %+v", hops)
	}
	if hops[0].Header.Get("X-Quote") != "it's ]]] fine" || hops[2].Rules.Policy.Audience.Value[1] != "api://[w]" {
		t.Errorf("headers %v rules %+v", hops[0].Header, hops[2].Rules)
	}
	// A file of MaxHops hops, the most a chain may have, passes too.
	var b strings.Builder
	b.WriteString("hops:\n")
	for i := 0; i < MaxHops; i++ {
		fmt.Fprintf(&b, "  - name: h%d\n    url: http://127.0.0.1:1/%d\n    expect: [200, 201]\n    headers: {X-A: '${A}', X-B: b}\n", i, i)
	}
	env := func(string) (string, bool) { return "a", true }
	start := time.Now()
	if hops, err := ParseFile("chain.yaml", []byte(b.String()), env); err != nil || len(hops) != MaxHops {
		t.Errorf("%d hops: %v", len(hops), err)
	}
	t.Logf("%d hops (%d KiB) parsed in %s", MaxHops, b.Len()>>10, time.Since(start))
}

// Rules with an empty value would silently check nothing: the file is
// refused, at the key's line and column, in the file's vocabulary.
func TestEmptyRuleValuesAreRefused(t *testing.T) {
	env := map[string]string{"ALG": "", "TYP": " ", "IDP": ""}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	const head = "hops:\n  - name: api\n    url: http://127.0.0.1:1/\n    rules:\n      authority: http://127.0.0.1:2\n"
	for _, c := range []struct {
		name, file string
		want       []string
	}{
		{"an empty scope", head + "      scopes: [\"\"]\n", []string{"hop 1 (api): [6:16] rules: scopes", "empty"}},
		{"a scope list of commas", head + "      scopes: \",\"\n", []string{"[6:15] rules: scopes"}},
		{"an alg from an empty variable", head + "      algs: [\"${ALG}\"]\n", []string{"[6:14] rules: algs", "${ALG}"}},
		{"an unset variable", head + "      algs: [\"${NOPE}\"]\n", []string{"${NOPE} is not set"}},
		{"an empty typ", head + "      typ: \"\"\n", []string{"[6:12] rules: typ", "empty"}},
		{"a blank typ from a variable", head + "      typ: ${TYP}\n", []string{"[6:12] rules: typ", "${TYP}"}},
		{"an empty audience", head + "      audience: ''\n", []string{"[6:17] rules: audience"}},
		{"an empty issuer in a list", head + "      issuer: [https://a.example, '']\n", []string{"[6:35] rules: issuer"}},
		{"an empty tenant", head + "      tenant: [' ']\n", []string{"[6:16] rules: tenant"}},
		{"an empty authority", "hops:\n  - url: http://127.0.0.1:1/\n    rules: {authority: '${IDP}', audience: x}\n", []string{"[3:24] rules: authority", "${IDP}"}},
		{"an empty jwks_url", "hops:\n  - url: http://127.0.0.1:1/\n    rules:\n      jwks_url: \"\"\n", []string{"[4:17] rules: jwks_url"}},
		{"an empty value in the defaults", "defaults:\n  rules:\n    scopes: ['']\nhops:\n  - name: api\n    url: http://127.0.0.1:1/\n    rules: {authority: http://127.0.0.1:2}\n",
			[]string{"hop 1 (api): [3:14] defaults: rules: scopes"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseFile("chain.yaml", []byte(c.file), getenv)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), "--") {
				t.Errorf("error names a flag:\n%v", err)
			}
		})
	}
	// An explicitly empty list still clears the defaults' list: that says
	// what it means.
	hops, err := ParseFile("chain.yaml", []byte("defaults:\n  rules:\n    authority: http://127.0.0.1:2\n    scopes: [a]\nhops:\n  - url: http://127.0.0.1:1/\n    rules: {scopes: []}\n"), nil)
	if err != nil || !hops[0].Rules.Policy.Scopes.Set || len(hops[0].Rules.verifyRules("", "").Scopes) != 0 {
		t.Errorf("scopes: [] → %v, %+v", err, hops)
	}
}

// Variables expand before lists split: ALGS="RS256 ES256" is two algs.
func TestRuleListsSplitAfterExpansion(t *testing.T) {
	getenv := func(k string) (string, bool) { return "RS256 ES256", k == "ALGS" }
	hops, err := ParseFile("chain.yaml", []byte("hops:\n  - url: http://127.0.0.1:1/\n    rules: {authority: http://127.0.0.1:2, algs: '${ALGS}'}\n"), getenv)
	if err != nil || strings.Join(hops[0].Rules.verifyRules("", "").Algs, ",") != "RS256,ES256" {
		t.Errorf("%v %+v", err, hops)
	}
}

// A leeway is a rule like the others: it takes ${NAME} too (it used to be
// read as the text "${LEEWAY}" and refused).
func TestLeewayTakesVariables(t *testing.T) {
	getenv := func(k string) (string, bool) { return "45s", k == "LEEWAY" }
	hops, err := ParseFile("chain.yaml", []byte("hops:\n  - url: http://127.0.0.1:1/\n    rules: {authority: http://127.0.0.1:2, leeway: '${LEEWAY}'}\n"), getenv)
	if err != nil {
		t.Fatal(err)
	}
	if got := hops[0].Rules.verifyRules("", "").Leeway; got != 45*time.Second {
		t.Errorf("leeway %s, want 45s", got)
	}
}
