package chain

import (
	"github.com/jwtrace/jwtrace/verify"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const goodFile = `# the workouts chain
defaults:
  headers:
    X-Request-Id: chain-test
  rules:
    authority: http://127.0.0.1:9400
    algs: RS256
hops:
  - name: workouts
    url: http://127.0.0.1:8081/workouts
    rules:
      audience: api://workouts
      scopes: [workouts.read]
  - name: log
    url: http://127.0.0.1:8082/entries
    method: post
    headers:
      Content-Type: application/json
    body_file: entry.json
    expect: [200, 201]
    rules:
      audience: [api://workouts, api://log]
      require: [sub, "tid=t1"]
      leeway: 30s
      typ: at+jwt
  - name: billing
    url: http://127.0.0.1:8083/plan
    expect: 401
`

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "entry.json"), []byte(`{"km":5}`), 0o600); err != nil {
		t.Fatal(err)
	}
	hops, err := ParseFile(filepath.Join(dir, "chain.yaml"), []byte(goodFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(hops, false); err != nil {
		t.Fatal(err)
	}
	if len(hops) != 3 {
		t.Fatalf("%d hops", len(hops))
	}
	w, l, b := hops[0], hops[1], hops[2]
	wr, lr := w.Rules.verifyRules("", ""), l.Rules.verifyRules("", "")
	if w.Method != "GET" || w.Header.Get("X-Request-Id") != "chain-test" || w.Rules.Policy.Authority.Value != "http://127.0.0.1:9400" ||
		strings.Join(wr.Audiences, ",") != "api://workouts" || strings.Join(wr.Scopes, ",") != "workouts.read" || strings.Join(wr.Algs, ",") != "RS256" {
		t.Errorf("hop 1 = %+v rules %+v", w, w.Rules)
	}
	if l.Method != "POST" || string(l.Body) != `{"km":5}` || l.Header.Get("Content-Type") != "application/json" || l.Header.Get("X-Request-Id") != "chain-test" {
		t.Errorf("hop 2 = %+v", l)
	}
	if !l.Expected(201) || l.Expected(204) || len(lr.Audiences) != 2 || len(lr.Require) != 2 || !lr.Require[1].HasValue ||
		lr.Leeway != 30*time.Second || lr.Typ != "at+jwt" {
		t.Errorf("hop 2 rules = %+v", l.Rules)
	}
	// Defaults' rules reach a hop with none of its own.
	if b.Rules == nil || b.Rules.Policy.Authority.Value == "" || !b.Expected(401) || b.Expected(200) {
		t.Errorf("hop 3 = %+v rules %+v", b, b.Rules)
	}
}

// A chain file's mistakes are reported with their line and column, and the
// lines around them.
func TestParseFileErrors(t *testing.T) {
	for _, c := range []struct {
		name, file string
		want       []string
	}{
		{"unknown key", "hops:\n  - url: http://127.0.0.1:1/\n    methd: GET\n", []string{"[3:5]", "unknown field \"methd\"", "3 |     methd: GET"}},
		{"unknown rule", "hops:\n  - url: http://127.0.0.1:1/\n    rules:\n      audiance: x\n", []string{"[4:7]", "audiance"}},
		{"duplicate key", "hops:\n  - url: http://127.0.0.1:1/\n    url: http://127.0.0.1:2/\n", []string{"[3:5]", "duplicate"}},
		{"wrong type", "hops:\n  - url: http://127.0.0.1:1/\n    expect: ok\n", []string{"[3:13]", "want a status or a list of statuses, not ok"}},
		{"syntax", "hops:\n  - url: http://127.0.0.1:1/\n   name: x\n", []string{"[3:"}},
		{"no hops", "defaults: {}\n", []string{"no hops"}},
		{"body and body_file", "hops:\n  - url: http://127.0.0.1:1/\n    body: x\n    body_file: y\n", []string{"hop 1", "not both"}},
		{"missing body file", "hops:\n  - name: a\n    url: http://127.0.0.1:1/\n    body_file: nope.json\n", []string{"hop 1 (a): body_file"}},
		{"aliases", "defaults:\n  rules:\n    issuer: &a [x, y]\nhops:\n  - url: http://127.0.0.1:1/\n    rules: {audience: *a}\n", []string{"[3:13]", "anchors and aliases"}},
		{"bad leeway", "hops:\n  - url: http://127.0.0.1:1/\n    rules:\n      leeway: soon\n", []string{"leeway \"soon\""}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseFile(filepath.Join(t.TempDir(), "chain.yaml"), []byte(c.file), nil)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestParseFileExpandsVariables(t *testing.T) {
	env := map[string]string{"SVC": "http://127.0.0.1:8081", "IDP": "http://127.0.0.1:9400", "RID": "r1"}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	file := "hops:\n  - url: ${SVC}/x?cost=$5\n    headers: {X-Request-Id: '${RID}'}\n    body: '${NOT_EXPANDED}'\n    rules: {authority: '${IDP}', audience: 'api://${RID}'}\n"
	hops, err := ParseFile("chain.yaml", []byte(file), getenv)
	if err != nil {
		t.Fatal(err)
	}
	h := hops[0]
	if h.URL != "http://127.0.0.1:8081/x?cost=$5" || h.Header.Get("X-Request-Id") != "r1" || string(h.Body) != "${NOT_EXPANDED}" ||
		h.Rules.Policy.Authority.Value != "http://127.0.0.1:9400" || h.Rules.Policy.Audience.Value[0] != "api://r1" {
		t.Errorf("hop = %+v rules %+v", h, h.Rules)
	}
	_, err = ParseFile("chain.yaml", []byte("hops:\n  - name: a\n    url: ${NOPE}/x\n"), getenv)
	if err == nil || !strings.Contains(err.Error(), "hop 1 (a): ${NOPE} is not set in the environment") {
		t.Errorf("error = %v", err)
	}
}

func TestCheckHops(t *testing.T) {
	for _, c := range []struct {
		name string
		hop  Hop
		want string
	}{
		{"plain http off loopback", Hop{URL: "http://api.example/x"}, "url:"},
		{"not a URL", Hop{URL: "api.example/x"}, "url:"},
		{"credentials in URL", Hop{URL: "https://u:p@api.example/"}, "credentials"},
		{"bad method", Hop{URL: "https://a.example/", Method: "GE T"}, "not an HTTP method"},
		{"own Authorization", Hop{URL: "https://a.example/", Header: map[string][]string{"Authorization": {"Basic x"}}}, "Authorization header is jwtrace's"},
		{"header injection", Hop{URL: "https://a.example/", Header: map[string][]string{"X-A": {"a\r\nX-B: b"}}}, "line break"},
		{"bad status", Hop{URL: "https://a.example/", Expect: []int{42}}, "not an HTTP status"},
		{"rules without keys", Hop{URL: "https://a.example/", Rules: NewRules(verify.Policy{Audience: verify.List("x")})}, "where the hop's keys come from"},
		{"empty audience", Hop{URL: "https://a.example/", Rules: NewRules(verify.Policy{Authority: verify.Some("https://idp.example"), Audience: verify.List("")})}, "rules:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Check([]Hop{{URL: "https://ok.example/"}, c.hop}, false)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "hop 2: ") {
				t.Fatalf("error = %v, want hop 2 and %q", err, c.want)
			}
		})
	}
	if err := Check(nil, false); err == nil {
		t.Error("no hops accepted")
	}
}
