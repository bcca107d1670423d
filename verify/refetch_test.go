package verify

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// After a key rotation the report must say that the JWKS was refetched,
// why, and which keys it holds now: not the cached copy's keys next to
// "verified with kid k2".
func TestOriginReportsTheRefetch(t *testing.T) {
	p := newIDP(t, nil)
	clock := testNow
	f := fetcherFor(t, true, func() time.Time { return clock })
	if _, _, err := f.LoadKeys(bg, Sources{JWKSURL: p.URL + "/keys"}); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(6 * time.Second)
	keys, o, err := f.LoadKeys(bg, Sources{JWKSURL: p.URL + "/keys"})
	if err != nil || !o.JWKS.Cached {
		t.Fatalf("%v %+v", err, o)
	}
	p.keys.Store([]map[string]any{jwkOf("k1"), jwkOf("k2")})
	v := &Verifier{Keys: keys, Rules: baseRules()}
	mustPass(t, v.Verify(bg, sign(t, rsaKey, rsHeader("k2"), claims(nil))))

	o.NoteRefetch(keys)
	j := o.JWKS
	if !j.Refetched || j.Cached || j.AgeSeconds != 0 || j.RefetchKid != "k2" || j.Before == nil || !j.Before.Cached || j.Before.AgeSeconds != 6 {
		t.Fatalf("jwks info after the refetch: %+v (before %+v)", j, j.Before)
	}
	if got := o.KeysText(); !strings.Contains(got, "2 keys") || !strings.Contains(got, "k2") {
		t.Errorf("keys after the refetch: %s", got)
	}
	b, _ := json.Marshal(o)
	if !strings.Contains(string(b), `"refetched":true`) || !strings.Contains(string(b), `"kid":"k2"`) {
		t.Errorf("JSON: %s", b)
	}
	// Noting twice changes nothing.
	o.NoteRefetch(keys)
	if o.JWKS.Before == nil || !o.JWKS.Before.Cached || len(o.Keys) != 2 {
		t.Errorf("noted twice: %+v", o.JWKS)
	}
}

func TestOriginReportsAFailedRefetch(t *testing.T) {
	p := newIDP(t, nil)
	f := fetcherFor(t, false, func() time.Time { return testNow })
	keys, o, err := f.LoadKeys(bg, Sources{JWKSURL: p.URL + "/keys"})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	r := (&Verifier{Keys: keys, Rules: baseRules()}).Verify(bg, sign(t, rsaKey, rsHeader("k2"), claims(nil)))
	if r.Valid {
		t.Fatal("valid")
	}
	o.NoteRefetch(keys)
	if o.JWKS.Refetched || o.JWKS.RefetchError == "" || o.JWKS.RefetchKid != "k2" || len(o.Keys) != 1 {
		t.Fatalf("%+v", o.JWKS)
	}
}

func TestOriginWithoutRefetchIsUnchanged(t *testing.T) {
	p := newIDP(t, nil)
	f := fetcherFor(t, false, func() time.Time { return testNow })
	keys, o, err := f.LoadKeys(bg, Sources{JWKSURL: p.URL + "/keys"})
	if err != nil {
		t.Fatal(err)
	}
	mustPass(t, (&Verifier{Keys: keys, Rules: baseRules()}).Verify(bg, sign(t, rsaKey, rsHeader("k1"), claims(nil))))
	o.NoteRefetch(keys)
	if o.JWKS.Refetched || o.JWKS.Before != nil || o.JWKS.RefetchKid != "" {
		t.Fatalf("%+v", o.JWKS)
	}
}
