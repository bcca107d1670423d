package decode

import (
	"slices"
	"testing"
)

// Strings reads aud and scope claims as services do: a string or an
// array of strings; a scope string is split at spaces.
func TestObjectStrings(t *testing.T) {
	obj, _, err := ParseObject([]byte(`{"aud":"api://a","auds":["x","y"],"scope":"a  b","n":3,"mixed":["x",1]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key    string
		fields bool
		want   []string
	}{
		{"aud", false, []string{"api://a"}},
		{"auds", false, []string{"x", "y"}},
		{"scope", true, []string{"a", "b"}},
		{"scope", false, []string{"a  b"}},
		{"n", false, nil},
		{"mixed", false, nil},
		{"missing", false, nil},
	} {
		if got := obj.Strings(c.key, c.fields); !slices.Equal(got, c.want) {
			t.Errorf("Strings(%q, %v) = %q, want %q", c.key, c.fields, got, c.want)
		}
	}
}
