package demo

import (
	"slices"
	"strings"
	"testing"
)

func TestWords(t *testing.T) {
	vars := map[string]string{"TOKEN": "ey J'x", "A": "1"}
	lookup := func(n string) (string, bool) { v, ok := vars[n]; return v, ok }
	for line, want := range map[string][]string{
		`jwtrace decode "$TOKEN"`:           {"jwtrace", "decode", "ey J'x"},
		`jwtrace decode $TOKEN`:             {"jwtrace", "decode", "ey J'x"}, // no field splitting
		`a 'b c' "d ${A}e" f${A}`:           {"a", "b c", "d 1e", "f1"},
		`a '$TOKEN' b#c  `:                  {"a", "$TOKEN", "b#c"},
		`--scope 'openid workouts.read' ''`: {"--scope", "openid workouts.read", ""},
	} {
		got, err := Words(line, lookup)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Words(%q) = %q, %v; want %q", line, got, err, want)
		}
	}
	for _, line := range []string{`a "b`, `a $NOPE`, `a $(b)`, "a `b`", `a | b`, `a; b`, `a "\b"`, `a \`, `a $`, `a ${A`, `# c`, `~/x`, `a *`} {
		if got, err := Words(line, lookup); err == nil {
			t.Errorf("Words(%q) = %q, want an error", line, got)
		}
	}
}

// Join's quoting reads back as the same words.
func TestJoinReadsBack(t *testing.T) {
	words := []string{"jwtrace", "login", "--scope", "openid workouts.read", "it's", "", "$HOME", "a\"b"}
	got, err := Words(Join(words...), func(string) (string, bool) { return "", false })
	if err != nil || !slices.Equal(got, words) {
		t.Errorf("Words(Join(%q)) = %q, %v", words, got, err)
	}
}

// Every step prints one jwtrace command; the chain step expects billing's
// rejection, and what it exports is what a later step reads.
func TestStory(t *testing.T) {
	w := &World{Authority: "http://127.0.0.1:1", ChainFile: "/tmp/jwtrace-demo-1/chain.yaml"}
	story := w.Story()
	set := map[string]bool{}
	for _, st := range story {
		if !strings.HasPrefix(st.Command, "jwtrace ") {
			t.Errorf("%s: %q is not a jwtrace command", st.Name, st.Command)
		}
		_, err := Words(st.Command, func(n string) (string, bool) { return "x", set[n] })
		if err != nil {
			t.Errorf("%s: %v", st.Name, err)
		}
		if st.Capture != "" {
			set[st.Capture] = true
			if p := st.Printed(); p != "export "+st.Capture+"=$("+st.Command+")" {
				t.Errorf("%s prints %q", st.Name, p)
			}
		}
	}
	if last := story[len(story)-1]; last.Name != "chain" || last.ExpectExit != 1 || len(last.ExpectHops) != 4 {
		t.Errorf("chain step %+v", last)
	}
}
