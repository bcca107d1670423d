package decode

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const rs256 = `{"alg":"RS256","typ":"JWT"}`

// RFC 8693 §4.1's example, with this project's services: billing's token
// was exchanged by workouts, then by workout-log. The outermost act is the
// current actor, so the chain reads from the innermost out.
func TestDelegationReadsANestedActAsAChain(t *testing.T) {
	tk := mustParse(t, tok(rs256, `{"sub":"alice","aud":"billing","azp":"workout-log",
		"act":{"sub":"workout-log","iss":"http://127.0.0.1:9400","act":{"sub":"workouts"}},
		"may_act":{"sub":"reports","iss":"http://127.0.0.1:9400"}}`))
	d := tk.Delegation()
	want := &Delegation{
		Subject:         "alice",
		Actors:          []Actor{{Sub: "workouts"}, {Sub: "workout-log", Iss: "http://127.0.0.1:9400"}},
		Chain:           "alice via workouts via workout-log",
		MayAct:          &Actor{Sub: "reports", Iss: "http://127.0.0.1:9400"},
		AuthorizedParty: "workout-log",
	}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("got  %+v\nwant %+v", d, want)
	}
	if c := d.Current(); c == nil || c.Sub != "workout-log" {
		t.Errorf("current actor %+v; want the outermost act", c)
	}

	t.Run("decode --json has it as delegation", func(t *testing.T) {
		b, err := json.Marshal(tk)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Delegation struct {
				Chain  string `json:"chain"`
				Actors []struct {
					Sub string `json:"sub"`
				} `json:"actors"`
				MayAct struct {
					Sub string `json:"sub"`
				} `json:"may_act"`
				AuthorizedParty string `json:"authorized_party"`
			} `json:"delegation"`
			Explain struct {
				Claims map[string]string `json:"claims"`
			} `json:"explain"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		g := got.Delegation
		if g.Chain != "alice via workouts via workout-log" || len(g.Actors) != 2 || g.Actors[1].Sub != "workout-log" || g.MayAct.Sub != "reports" || g.AuthorizedParty != "workout-log" {
			t.Errorf("%s", b)
		}
		if e := got.Explain.Claims["act"]; !strings.Contains(e, "outermost act is the current actor") || !strings.Contains(e, "RFC 8693 section 4.1") {
			t.Errorf("act explained as %q", e)
		}
		if e := got.Explain.Claims["may_act"]; !strings.Contains(e, "RFC 8693 section 4.4") {
			t.Errorf("may_act explained as %q", e)
		}
	})
}

func TestDelegationWhenThereIsNone(t *testing.T) {
	// azp alone is every OIDC client's token: no delegation to show.
	tk := mustParse(t, tok(rs256, `{"sub":"alice","aud":"api://workouts","azp":"spa"}`))
	if d := tk.Delegation(); d != nil {
		t.Fatalf("%+v", d)
	}
	b, _ := json.Marshal(tk)
	if strings.Contains(string(b), `"delegation"`) {
		t.Errorf("decode --json has a delegation for a token without act: %s", b)
	}
	if (&Token{Kind: KindJWE}).Delegation() != nil {
		t.Error("a JWE has no readable delegation")
	}
}

// A hostile token nests act as deep as the claims may go (MaxDepth):
// jwtrace reads MaxActDepth of them, the most recent, and says so.
func TestDelegationDepthIsBounded(t *testing.T) {
	const levels = 25
	act := `{"sub":"a25"}`
	for i := levels - 1; i >= 1; i-- {
		act = fmt.Sprintf(`{"sub":"a%d","act":%s}`, i, act)
	}
	tk := mustParse(t, tok(rs256, `{"sub":"alice","act":`+act+`}`))
	if tk.Claims == nil {
		t.Fatalf("the claims did not decode: %v", tk.Diagnostics)
	}
	d := tk.Delegation()
	if !d.Truncated || len(d.Actors) != MaxActDepth {
		t.Fatalf("truncated %v, %d actors; want %d", d.Truncated, len(d.Actors), MaxActDepth)
	}
	if d.Actors[0].Sub != "a16" || d.Current().Sub != "a1" {
		t.Errorf("actors %v; want a16 (the oldest read) to a1 (the current)", d.Actors)
	}
	if !strings.HasPrefix(d.Chain, "alice via … via a16 via a15") || !strings.HasSuffix(d.Chain, "via a2 via a1") {
		t.Errorf("chain %q", d.Chain)
	}
	if len(d.Problems) != 1 || !strings.Contains(d.Problems[0], "more than 16 levels") {
		t.Errorf("problems %q", d.Problems)
	}
}

func TestDelegationProblems(t *testing.T) {
	for _, tc := range []struct {
		name, claims, chain string
		problems            []string
	}{
		{"act is a string", `{"sub":"alice","act":"workouts"}`, "",
			[]string{"act is not a JSON object (RFC 8693 section 4.1: it holds the actor's claims, such as sub)"}},
		{"an actor without sub is named by client_id", `{"sub":"alice","act":{"client_id":"svc-1"}}`, "alice via svc-1", nil},
		{"an actor that names no one", `{"sub":"alice","act":{"iss":"x","act":{"sub":"workouts"}}}`, "alice via workouts via an unnamed actor",
			[]string{"act names no actor (no sub or client_id string)"}},
		{"a nested act that is an array", `{"sub":"alice","act":{"sub":"workouts","act":["x"]}}`, "alice via workouts",
			[]string{"act.act is not a JSON object (RFC 8693 section 4.1: it holds the actor's claims, such as sub)"}},
		{"may_act that is not an object", `{"sub":"alice","may_act":"reports"}`, "",
			[]string{"may_act is not a JSON object (RFC 8693 section 4.1: it holds the actor's claims, such as sub)"}},
		{"a token without sub", `{"act":{"sub":"workouts"}}`, "the subject via workouts", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustParse(t, tok(rs256, tc.claims)).Delegation()
			if d == nil {
				t.Fatal("no delegation")
			}
			if d.Chain != tc.chain || !reflect.DeepEqual(d.Problems, tc.problems) {
				t.Errorf("chain %q, problems %q; want %q, %q", d.Chain, d.Problems, tc.chain, tc.problems)
			}
		})
	}
}

func TestCompareClaims(t *testing.T) {
	before := mustParse(t, tok(rs256, `{"iss":"http://idp","sub":"alice","aud":"workouts","scope":"workouts.read","exp":100,"azp":"spa","nonce":"n","extra":{"a":1,"b":2}}`)).Claims
	after := mustParse(t, tok(rs256, `{"extra":{"b":2,"a":1},"iss":"http://idp","sub":"alice","aud":["billing"],"scope":"billing.read","exp":200,"act":{"sub":"workouts"}}`)).Claims
	changes, unchanged := CompareClaims(before, after)
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	want := []ClaimChange{
		{Claim: "aud", Change: ClaimChanged, Before: raw(`"workouts"`), After: raw(`["billing"]`)},
		{Claim: "scope", Change: ClaimChanged, Before: raw(`"workouts.read"`), After: raw(`"billing.read"`)},
		{Claim: "act", Change: ClaimAdded, After: raw(`{"sub":"workouts"}`)},
		{Claim: "azp", Change: ClaimRemoved, Before: raw(`"spa"`)},
		{Claim: "exp", Change: ClaimChanged, Before: raw(`100`), After: raw(`200`)},
		{Claim: "nonce", Change: ClaimRemoved, Before: raw(`"n"`)},
	}
	if !reflect.DeepEqual(changes, want) {
		t.Errorf("changes\n got %s\nwant %s", show(changes), show(want))
	}
	if !reflect.DeepEqual(unchanged, []string{"sub", "iss", "extra"}) {
		t.Errorf("unchanged %q; want sub, iss and extra (the same object in another key order)", unchanged)
	}
	if c, u := CompareClaims(nil, after); len(c) != len(after.Members) || len(u) != 0 {
		t.Errorf("against no claims: %d changes, %d unchanged", len(c), len(u))
	}
}

func show(c []ClaimChange) string {
	b, _ := json.Marshal(c)
	return string(b)
}
