package verify

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// sampleOpt sets an Opt field (reflect) to a declared value built from
// text: a list of one value, a bool true, or the text itself.
func sampleOpt(t *testing.T, f reflect.Value, text string) {
	t.Helper()
	v := f.FieldByName("Value")
	switch v.Kind() {
	case reflect.String:
		v.SetString(text)
	case reflect.Slice:
		v.Set(reflect.ValueOf(Strings{text}).Convert(v.Type()))
	case reflect.Bool:
		v.SetBool(true)
	default:
		t.Fatalf("%s: an Opt of %s: teach this test its values", f.Type(), v.Kind())
	}
	f.FieldByName("Set").SetBool(true)
}

// A field added to Policy but not to Merge, Expand or Validate fails here.
func TestPolicyFieldsCovered(t *testing.T) {
	typ := reflect.TypeFor[Policy]()
	for i := 0; i < typ.NumField(); i++ {
		sf := typ.Field(i)
		t.Run(sf.Name, func(t *testing.T) {
			if sf.Tag.Get("yaml") == "" || sf.Tag.Get("json") == "" || sf.Tag.Get("rule") == "" {
				t.Fatalf("needs yaml, json and rule tags: %q", sf.Tag)
			}
			if !strings.HasPrefix(sf.Type.Name(), "Opt[") {
				t.Fatalf("is a %s, not an Opt: \"not declared\" must be a state of the field", sf.Type)
			}
			if PolicyKey(sf.Tag.Get("rule")) != sf.Tag.Get("yaml") {
				t.Errorf("PolicyKey(%q) = %q", sf.Tag.Get("rule"), PolicyKey(sf.Tag.Get("rule")))
			}

			// Merge: the defaults' value survives into a hop that does not
			// declare it; a hop's value wins.
			var def, hop Policy
			sampleOpt(t, reflect.ValueOf(&def).Elem().Field(i), "from-defaults")
			sampleOpt(t, reflect.ValueOf(&hop).Elem().Field(i), "from-hop")
			if got := def.Merge(Policy{}); !reflect.DeepEqual(got, def) {
				t.Errorf("Merge into a hop that does not declare it: %+v, want %+v", got, def)
			}
			if got := def.Merge(hop); !reflect.DeepEqual(got, hop) {
				t.Errorf("Merge: the hop's value lost: %+v, want %+v", got, hop)
			}
			if got := (Policy{}).Merge(Policy{}); !reflect.DeepEqual(got, Policy{}) {
				t.Errorf("Merge of nothing declared %+v", got)
			}
			if !def.Declares(sf.Tag.Get("yaml")) || new(Policy).Declares(sf.Tag.Get("yaml")) {
				t.Errorf("Declares(%q) is false for a declared field", sf.Tag.Get("yaml"))
			}

			// Expand: every text is expanded; a field without text is kept.
			var p Policy
			sampleOpt(t, reflect.ValueOf(&p).Elem().Field(i), "${V}")
			text := reflect.ValueOf(&p).Elem().Field(i).FieldByName("Value").Kind() != reflect.Bool
			got, err := p.Expand(func(string) (string, bool) { return "RS256", true })
			if err != nil {
				t.Fatal(err)
			}
			if v := reflect.ValueOf(got).Field(i).FieldByName("Value"); text && strings.Contains(toText(v), "${V}") {
				t.Errorf("Expand left %v", v)
			}
			if _, err := p.Expand(nil); text && !hasProblem(err, RuleVariableUnset, sf.Tag.Get("rule")) {
				t.Errorf("Expand of an unset variable: %v, want %s for %s", err, RuleVariableUnset, sf.Tag.Get("rule"))
			}

			// Validate: a text declared empty is a problem that names the
			// field's rule (a bool has no empty value).
			if text {
				var e Policy
				sampleOpt(t, reflect.ValueOf(&e).Elem().Field(i), " ")
				e.SkipIssuer, e.SkipAudience = Some(true), Some(true)
				if sf.Name == "Issuer" || sf.Name == "Tenant" {
					e.SkipIssuer = Opt[bool]{}
				}
				if sf.Name == "Audience" {
					e.SkipAudience = Opt[bool]{}
				}
				if err := e.Validate(); !hasProblem(err, "", sf.Tag.Get("rule")) {
					t.Errorf("Validate of an empty %s: %v, want a problem naming %q", sf.Name, err, sf.Tag.Get("rule"))
				}
			}
		})
	}
}

func toText(v reflect.Value) string {
	if v.Kind() == reflect.Slice {
		var parts []string
		for i := 0; i < v.Len(); i++ {
			parts = append(parts, v.Index(i).String())
		}
		return strings.Join(parts, ",")
	}
	return v.String()
}

// hasProblem reports whether err is a *RuleError with a problem about rule
// (of code, unless code is "").
func hasProblem(err error, code RuleCode, rule string) bool {
	var re *RuleError
	if !errors.As(err, &re) {
		return false
	}
	for _, p := range re.Problems {
		if p.Rule == rule && (code == "" || p.Code == code) {
			return true
		}
	}
	return false
}

// Not declared and declared empty differ, in YAML's null and JSON's
// absent or null; a string is a list of one.
func TestPolicyDecoding(t *testing.T) {
	var p Policy
	if err := json.Unmarshal([]byte(`{"typ":"","audience":"api://a","scopes":["a","b"],"algs":null,"leeway":"30s","allow_no_exp":true}`), &p); err != nil {
		t.Fatal(err)
	}
	if !p.Typ.Set || p.Typ.Value != "" || p.Algs.Set || p.Issuer.Set || strings.Join(p.Audience.Value, ",") != "api://a" ||
		len(p.Scopes.Value) != 2 || !p.AllowNoExp.Value || p.Leeway.Value != "30s" {
		t.Errorf("decoded %+v", p)
	}
	if err := p.Validate(); !hasProblem(err, RuleBlank, RuleTyp) {
		t.Errorf("typ declared empty: %v", err)
	}
	out, err := json.Marshal(p)
	if err != nil || string(out) != `{"audience":["api://a"],"typ":"","scopes":["a","b"],"leeway":"30s","allow_no_exp":true}` {
		t.Errorf("marshalled %s %v", out, err)
	}
}

// The views: lists of algorithms and scopes split at commas and spaces on
// every surface, and a leeway given as text is a duration.
func TestPolicyRules(t *testing.T) {
	p := Policy{Algs: List("RS256,ES256"), Scopes: List("a b", "c"), Leeway: Some(Duration("1m")), Require: List("sub", "tid=t1"), SkipIssuer: Some(true), Audience: List("x")}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	r := p.Rules()
	if strings.Join(r.Algs, ",") != "RS256,ES256" || strings.Join(r.Scopes, ",") != "a,b,c" || r.Leeway.String() != "1m0s" || len(r.Require) != 2 || !r.Require[1].HasValue || !r.SkipIssuer {
		t.Errorf("rules %+v", r)
	}
	for _, c := range []struct {
		p    Policy
		code RuleCode
		elem int
	}{
		{Policy{Algs: List("RS256", "ES256,none")}, RuleAlgNone, 2},
		{Policy{Require: List("sub", "=x")}, RuleRequireSyntax, 2},
		{Policy{Leeway: Some(Duration("soon"))}, RuleLeewaySyntax, 0},
		{Policy{Leeway: DurationOf(-1)}, RuleLeewayNegative, 0},
		{Policy{Scopes: List("a", ",")}, RuleBlank, 2},
	} {
		c.p.SkipIssuer, c.p.SkipAudience = Some(true), Some(true)
		var re *RuleError
		if err := c.p.Validate(); !errors.As(err, &re) || re.Problems[0].Code != c.code || re.Problems[0].Elem != c.elem {
			t.Errorf("%+v: %v, want %s at element %d", c.p, err, c.code, c.elem)
		}
	}
}
