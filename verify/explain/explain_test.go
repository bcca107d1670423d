package explain

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/verify"
)

// declaredCodes reads every constant of the given type from package
// verify's source, so that a code added there without a rendering here
// fails this test.
func declaredCodes(t *testing.T, typeName string) []string {
	t.Helper()
	files, err := filepath.Glob("../*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				id, ok := vs.Type.(*ast.Ident)
				if !ok || id.Name != typeName {
					continue
				}
				for _, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok {
						t.Fatalf("%s: a %s that is not a literal", f, typeName)
					}
					s, _ := strconv.Unquote(lit.Value)
					out = append(out, s)
				}
			}
		}
	}
	if len(out) < 5 {
		t.Fatalf("found only %d %s constants in ../*.go", len(out), typeName)
	}
	return out
}

// sample is a value for every param any code takes.
var sampleValues = map[string]string{
	"alg": "RS256", "kid": "k1", "bytes": "10", "max": "16384", "parts": "4", "part": "header",
	"error": "bad JSON", "names": `"alg"`, "crit": `["x"]`, "rule": verify.RuleAudience, "key": `kid "k1" (RSA 2048)`,
	"count": "2", "source": "keys.json", "reason": "RSA 1024", "origin": "the JWKS of https://idp.example/keys",
	"kids": "k1", "refetched": "true", "refetch_error": "timeout", "iss": "https://idp.example", "template": "https://x/{tenantid}",
	"tenant": "t1", "tenants": "t2", "aud": "api://a", "want": "api://b", "value": "3", "at": "1795777331",
	"delta": "60", "leeway": "30s", "typ": "JWT", "claim": "email", "missing": "a", "have": "b", "scopes": "a b",
	"scope": "api://a/.default", "api": "api://b", "client": "c1", "cognito": "true", "safe": "true", "known": "RS256",
}

// sample is sampleValues as params.
var sample = func() verify.Params {
	var p verify.Params
	for k, v := range sampleValues {
		p = append(p, verify.Param{Name: k, Value: v})
	}
	return p
}()

// flagLike finds a command-line flag in a text meant for a chain file or
// a resource server.
func flagLike(s string) string {
	for _, w := range strings.Fields(s) {
		w = strings.Trim(w, "(),;:'\"")
		if strings.HasPrefix(w, "--") && len(w) > 2 {
			return w
		}
	}
	return ""
}

func TestEveryCodeRendered(t *testing.T) {
	for _, code := range declaredCodes(t, "Code") {
		if checkText()[verify.Code(code)] == nil {
			t.Errorf("check code %q has no rendering in checkText", code)
			continue
		}
		for _, s := range Surfaces {
			c := &verify.Check{Code: verify.Code(code), Status: verify.Fail, Params: sample,
				Items: []verify.Item{{Code: verify.CodeClaimMissing, Params: sample}}}
			d := s.Detail(c)
			if d == "" || d == code || strings.Contains(d, "%!") {
				t.Errorf("%s: %q renders as %q", s, code, d)
			}
			if f := flagLike(d); s != CLI && f != "" {
				t.Errorf("%s: %q names the flag %s: %q", s, code, f, d)
			}
		}
	}
}

func TestEveryAdviceRendered(t *testing.T) {
	for _, code := range declaredCodes(t, "AdviceCode") {
		if adviceText()[verify.AdviceCode(code)] == nil {
			t.Errorf("advice code %q has no rendering in adviceText", code)
			continue
		}
		for _, s := range Surfaces {
			d := s.advice(verify.Advice{Code: verify.AdviceCode(code), Params: sample})
			if d == "" || d == code || strings.Contains(d, "%!") {
				t.Errorf("%s: advice %q renders as %q", s, code, d)
			}
			if f := flagLike(d); s != CLI && f != "" {
				t.Errorf("%s: advice %q names the flag %s: %q", s, code, f, d)
			}
		}
	}
}

func TestEveryRuleProblemRendered(t *testing.T) {
	for _, code := range declaredCodes(t, "RuleCode") {
		if ruleText()[verify.RuleCode(code)] == nil {
			t.Errorf("rule code %q has no rendering in ruleText", code)
			continue
		}
		for _, s := range Surfaces {
			for _, rule := range []string{verify.RuleIssuer, verify.RuleScope, verify.RuleAlg, verify.RuleTyp} {
				p := verify.Params{{Name: "rule", Value: rule}, {Name: "alg", Value: "RS1"}, {Name: "known", Value: "RS256"}}
				d := s.RuleProblem(verify.RuleProblem{Code: verify.RuleCode(code), Params: p})
				if d == "" || d == code || strings.HasPrefix(d, " ") || strings.Contains(d, "%!") {
					t.Errorf("%s: rule problem %q (%s) renders as %q", s, code, rule, d)
				}
				if f := flagLike(d); s != CLI && f != "" {
					t.Errorf("%s: rule problem %q names the flag %s: %q", s, code, f, d)
				}
			}
		}
	}
}

// Every rule a code or a piece of advice can name has a CLI flag; the
// other surfaces may lack one (chain has no --at), and then say nothing.
func TestEveryRuleHasAFlag(t *testing.T) {
	for _, name := range []string{verify.RuleIssuer, verify.RuleSkipIssuer, verify.RuleAudience, verify.RuleSkipAudience,
		verify.RuleTenant, verify.RuleAlg, verify.RuleTyp, verify.RuleRequire, verify.RuleScope, verify.RuleLeeway,
		verify.RuleAllowNoExp, verify.RuleAllowWeakSecret, verify.RuleAt, verify.RuleAuthority, verify.RuleKey} {
		if f := CLI.Rule(name); !strings.HasPrefix(f, "--") {
			t.Errorf("rule %q has no flag: %q", name, f)
		}
		if y := YAML.Rule(name); y != "" && !strings.HasSuffix(y, ":") {
			t.Errorf("rule %q in a chain file is %q, not a key", name, y)
		}
		if a := (Surface(YAML)).advice(verify.Advice{Code: verify.AdviceRule, Params: verify.Params{{Name: "rule", Value: name}}}); YAML.Rule(name) == "" && a != "" {
			t.Errorf("rule %q: chain has no such key but its advice says %q", name, a)
		}
	}
}

// The same check reads in each surface's words.
func TestSurfacesWords(t *testing.T) {
	aud := &verify.Check{Name: verify.CheckAudience, Status: verify.Skip, Code: verify.CodeNotDeclared, Params: verify.Params{{Name: "rule", Value: verify.RuleAudience}}}
	typ := &verify.Check{Name: verify.CheckType, Status: verify.Skip, Code: verify.CodeNotDeclared, Actual: "JWT", Params: verify.Params{{Name: "rule", Value: verify.RuleTyp}}}
	exp := &verify.Check{Name: verify.CheckExpiry, Status: verify.Fail, Code: verify.CodeExpExpired,
		Params: verify.Params{{Name: "at", Value: "1795777331"}, {Name: "delta", Value: "-10800"}},
		Advice: []verify.Advice{{Code: verify.AdviceNewToken}, {Code: verify.AdviceRule, Params: verify.Params{{Name: "rule", Value: verify.RuleAt}}}}}
	for _, c := range []struct {
		s                Surface
		aud, typ, expHnt string
	}{
		{CLI, "NOT CHECKED (--skip-audience): a token for any audience is accepted", `no --typ rule (typ is "JWT")`, "get a new token; --at TIME checks it at an earlier moment"},
		{YAML, "not declared (audience:): a token for any audience is accepted", `not declared (typ:) (typ is "JWT")`, "get a new token"},
		{Plain, "not checked: a token for any audience is accepted", `not checked: no typ rule (typ is "JWT")`, "get a new token"},
	} {
		if got := c.s.Detail(aud); got != c.aud {
			t.Errorf("%s audience: %q, want %q", c.s, got, c.aud)
		}
		if got := c.s.Detail(typ); got != c.typ {
			t.Errorf("%s typ: %q, want %q", c.s, got, c.typ)
		}
		if got := c.s.Hint(exp); got != c.expHnt {
			t.Errorf("%s exp hint: %q, want %q", c.s, got, c.expHnt)
		}
		if got := c.s.Detail(exp); got != "expired 3h ago, at 2026-11-27T11:02:11Z" {
			t.Errorf("%s exp: %q", c.s, got)
		}
	}
}

// Far dates read as decode writes them, not as a seven-digit year.
func TestFarDates(t *testing.T) {
	c := &verify.Check{Code: verify.CodeExpOK, Status: verify.Pass, Params: verify.Params{{Name: "at", Value: strconv.FormatInt(verify.MaxNumericDate, 10)}, {Name: "delta", Value: "140737488355328"}}}
	got := CLI.Detail(c)
	if strings.Contains(got, "4461763") || !strings.Contains(got, "a date out of range") {
		t.Errorf("far exp: %q", got)
	}
}

func TestRuleErrorWords(t *testing.T) {
	err := (&verify.Rules{SkipIssuer: true, SkipAudience: true, Tenants: []string{"t"}, Scopes: []string{""}, Algs: []string{"none"}}).Check()
	cli := CLI.RuleError(err).Error()
	yaml := YAML.RuleError(err).Error()
	for _, want := range []string{"--tenant needs an issuer rule", "--scope is empty (an unset variable?)", "--alg none: unsigned tokens are never accepted"} {
		if !strings.Contains(cli, want) {
			t.Errorf("CLI: %q lacks %q", cli, want)
		}
	}
	for _, want := range []string{"tenant: needs an issuer rule", "scopes: is empty", "algs: none"} {
		if !strings.Contains(yaml, want) {
			t.Errorf("YAML: %q lacks %q", yaml, want)
		}
	}
	if f := flagLike(yaml); f != "" {
		t.Errorf("YAML names %s: %q", f, yaml)
	}
	var re *verify.RuleError
	if r, ok := CLI.RuleError(err).(*verify.RuleError); !ok || len(r.Problems) != 3 {
		t.Errorf("rendered error %T %+v, want a *verify.RuleError with its 3 problems", r, re)
	}
}

// Filling twice does not repeat the warnings in the summary.
func TestFillIsIdempotent(t *testing.T) {
	r := &verify.Result{Valid: true, Summary: "valid: 8 checks passed", WarningCodes: []verify.Advice{{Code: verify.WarnAnyTenant}}}
	CLI.Fill(r)
	CLI.Fill(r)
	if want := "valid: 8 checks passed; any tenant is accepted (the issuer rule is a {tenantid} template; --tenant limits it)"; r.Summary != want {
		t.Errorf("summary %q", r.Summary)
	}
}

// Every code is documented in the README or the guide (verify's "Output"
// section, in docs/guide/verify.md): scripts read them from --json.
func TestCodesDocumented(t *testing.T) {
	guide, err := filepath.Glob("../../docs/guide/*.md")
	if err != nil || len(guide) == 0 {
		t.Fatalf("no docs/guide/*.md (%v)", err)
	}
	var docs strings.Builder
	for _, file := range append([]string{"../../README.md"}, guide...) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		docs.Write(data)
	}
	readme := docs.String()
	for _, kind := range []string{"Code", "AdviceCode"} {
		for _, code := range declaredCodes(t, kind) {
			if !strings.Contains(string(readme), "`"+code+"`") {
				t.Errorf("%s %q is not in README.md or docs/guide/*.md", kind, code)
			}
		}
	}
}
