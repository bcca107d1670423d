package authority

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestParseAssignment(t *testing.T) {
	tests := []struct {
		in      string
		want    Assignment
		wantErr bool
	}{
		{"sub=alice", Assignment{Name: "sub", Value: "alice"}, false},
		{"sub=123", Assignment{Name: "sub", Value: "123"}, false}, // = is always a string
		{"n:=123", Assignment{Name: "n", Value: json.Number("123")}, false},
		{"ok:=true", Assignment{Name: "ok", Value: true}, false},
		{"x:=null", Assignment{Name: "x", Value: json.RawMessage("null")}, false},
		{"roles:=[\"a\"]", Assignment{Name: "roles", Value: []any{"a"}}, false},
		{"url=https://x/?a=b", Assignment{Name: "url", Value: "https://x/?a=b"}, false},
		{"empty=", Assignment{Name: "empty", Value: ""}, false},
		{"-typ", Assignment{Name: "typ", Remove: true}, false},
		{"novalue", Assignment{}, true},
		{"=x", Assignment{}, true},
		{":=1", Assignment{}, true},
		{"x:=1 2", Assignment{}, true},
		{"x:={", Assignment{}, true},
	}
	for _, tt := range tests {
		got, err := ParseAssignment(tt.in)
		if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseAssignment(%q) = %#v, %v", tt.in, got, err)
		}
	}
}

func TestMintSpecBuild(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	iss := "https://issuer.example"
	empty := ""
	for _, tt := range []struct {
		name           string
		spec           MintSpec
		header, claims map[string]any
	}{
		{"the defaults: iat now, exp in an hour, no nbf",
			MintSpec{},
			map[string]any{"typ": "JWT"},
			map[string]any{"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}},
		{"the authority's issuer, a subject, one audience, the scopes joined",
			MintSpec{DefaultIssuer: "http://127.0.0.1:9400", Subject: "alice", Audience: []string{"api://a"}, Scope: []string{"a.read", "a.write b"}, KID: "k1"},
			map[string]any{"typ": "JWT", "kid": "k1"},
			map[string]any{"iss": "http://127.0.0.1:9400", "sub": "alice", "aud": "api://a", "scope": "a.read a.write b", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}},
		{"several audiences are an array; an explicit issuer beats the default",
			MintSpec{Issuer: &iss, DefaultIssuer: "http://127.0.0.1:9400", Audience: []string{"a", "b"}, IssuedAt: MintOmit(), Expires: MintOmit()},
			map[string]any{"typ": "JWT"},
			map[string]any{"iss": iss, "aud": []string{"a", "b"}}},
		{"an empty issuer keeps the claims' (or none); the claims' times beat the defaults",
			MintSpec{Issuer: &empty, DefaultIssuer: "http://127.0.0.1:9400", Claims: map[string]any{"iss": "file", "exp": 5, "nbf": 6}},
			map[string]any{"typ": "JWT"},
			map[string]any{"iss": "file", "exp": 5, "nbf": 6, "iat": now.Unix()}},
		{"a given time beats the claims'; MintOmit removes",
			MintSpec{Claims: map[string]any{"exp": 5, "nbf": 6}, Expires: MintAt(now.Add(time.Minute)), NotBefore: MintOmit()},
			map[string]any{"typ": "JWT"},
			map[string]any{"exp": now.Add(time.Minute).Unix(), "iat": now.Unix()}},
		{"an exp in the past keeps the default lifetime: iat an hour before",
			MintSpec{Expires: MintIn(-5 * time.Minute)},
			map[string]any{"typ": "JWT"},
			map[string]any{"exp": now.Add(-5 * time.Minute).Unix(), "iat": now.Add(-65 * time.Minute).Unix()}},
		{"but not a given iat",
			MintSpec{Expires: MintIn(-5 * time.Minute), IssuedAt: MintIn(0)},
			map[string]any{"typ": "JWT"},
			map[string]any{"exp": now.Add(-5 * time.Minute).Unix(), "iat": now.Unix()}},
		{"edits apply last: a claim set, one removed, header fields removed as nil",
			MintSpec{Subject: "alice", KID: "k1", ClaimEdits: []Assignment{{Name: "sub", Remove: true}, {Name: "roles", Value: []any{"admin"}}, {Name: "exp", Remove: true}},
				HeaderEdits: []Assignment{{Name: "kid", Remove: true}, {Name: "typ", Value: "at+jwt"}, {Name: "alg", Value: "none"}}},
			map[string]any{"typ": "at+jwt", "kid": nil, "alg": "none"},
			map[string]any{"roles": []any{"admin"}, "iat": now.Unix()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			claimsBefore := map[string]any{}
			for k, v := range tt.spec.Claims {
				claimsBefore[k] = v
			}
			h, c := tt.spec.Build(now)
			if !reflect.DeepEqual(h, tt.header) {
				t.Errorf("header %#v, want %#v", h, tt.header)
			}
			if !reflect.DeepEqual(c, tt.claims) {
				t.Errorf("claims %#v, want %#v", c, tt.claims)
			}
			if tt.spec.Claims != nil && !reflect.DeepEqual(tt.spec.Claims, claimsBefore) {
				t.Errorf("Build changed the spec's claims: %#v", tt.spec.Claims)
			}
		})
	}
}
