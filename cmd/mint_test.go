package cmd

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestParseAssignment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		name    string
		value   any
		wantErr bool
	}{
		{"sub=alice", "sub", "alice", false},
		{"sub=123", "sub", "123", false}, // = is always a string
		{"n:=123", "n", json.Number("123"), false},
		{"ok:=true", "ok", true, false},
		{"x:=null", "x", json.RawMessage("null"), false},
		{"roles:=[\"a\"]", "roles", []any{"a"}, false},
		{"url=https://x/?a=b", "url", "https://x/?a=b", false},
		{"empty=", "empty", "", false},
		{"-typ", "typ", nil, false},
		{"novalue", "", nil, true},
		{"=x", "", nil, true},
		{":=1", "", nil, true},
		{"x:=1 2", "", nil, true},
		{"x:={", "", nil, true},
	}
	for _, tt := range tests {
		name, v, err := parseAssignment(tt.in)
		if (err != nil) != tt.wantErr || name != tt.name || !reflect.DeepEqual(v, tt.value) {
			t.Errorf("parseAssignment(%q) = %q, %#v, %v", tt.in, name, v, err)
		}
	}
}

func TestParseMintTime(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		set  bool
		err  bool
	}{
		{"5m", now.Add(5 * time.Minute), true, false},
		{"-1h", now.Add(-time.Hour), true, false},
		{"90d", now.Add(90 * 24 * time.Hour), true, false},
		{"-1d", now.Add(-24 * time.Hour), true, false},
		{"0s", now, true, false},
		{"2026-11-28", time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), true, false},
		{"1795773600", time.Unix(1795773600, 0).UTC(), true, false},
		{"none", time.Time{}, false, false},
		{"1.5d", time.Time{}, false, true},
		{"soon", time.Time{}, false, true},
	}
	for _, tt := range tests {
		got, set, err := parseMintTime(tt.in, now)
		if (err != nil) != tt.err || set != tt.set || !got.Equal(tt.want) {
			t.Errorf("parseMintTime(%q) = %v, %v, %v", tt.in, got, set, err)
		}
	}
}
