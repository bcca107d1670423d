package cmd

import (
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority"
)

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
		m, err := parseMintTime(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("parseMintTime(%q): %v", tt.in, err)
			continue
		}
		if err != nil {
			continue
		}
		// What the spec builds from it, at now.
		spec := authority.MintSpec{Expires: m}
		_, claims := spec.Build(now)
		got, set := claims["exp"]
		if set != tt.set || set && got != tt.want.Unix() {
			t.Errorf("parseMintTime(%q): exp %v (set %v), want %v", tt.in, got, set, tt.want)
		}
	}
}
