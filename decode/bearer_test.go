package decode

import "testing"

func TestBearerToken(t *testing.T) {
	tests := []struct {
		name, in, token string
		ok              bool
	}{
		{"the scheme and a token", "Bearer abc.def.ghi", "abc.def.ghi", true},
		{"the scheme in any case", "bEaReR abc", "abc", true},
		{"whitespace around and between", " \tBearer \t abc \t", "abc", true},
		{"the scheme alone is Bearer with no token", "Bearer", "", true},
		{"the scheme and blanks is Bearer with no token", "Bearer   ", "", true},
		{"another scheme", "Basic dXNlcjpwdw==", "", false},
		{"a scheme that starts like Bearer", "Bearerabc", "", false},
		{"DPoP is not Bearer", "DPoP abc", "", false},
		{"no scheme", "abc.def.ghi", "", false},
		{"nothing", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, ok := BearerToken(tt.in)
			if ok != tt.ok || (ok && token != tt.token) {
				t.Errorf("BearerToken(%q) = %q, %v; want %q, %v", tt.in, token, ok, tt.token, tt.ok)
			}
		})
	}
}
