package report

import (
	"strings"
	"testing"
)

// parseCommand reads a workflow command as the GitHub runner does:
// ActionCommand.TryParseV2 and its Unescape functions (actions/runner
// src/Runner.Common/ActionCommand.cs, commit 258d6c8): the line starts
// with "::" after leading white space, the command info ends at the next
// "::", properties are split at "," and their first "=", and values are
// unescaped (%0D, %0A, %3A, %2C, then %25; data: %0D, %0A, %25).
func parseCommand(t *testing.T, line string) (name string, props map[string]string, data string) {
	t.Helper()
	line = strings.TrimLeft(line, " \t")
	if !strings.HasPrefix(line, "::") {
		t.Fatalf("not a command: %q", line)
	}
	end := strings.Index(line[2:], "::")
	if end < 0 {
		t.Fatalf("no end of the command info: %q", line)
	}
	info := line[2 : 2+end]
	name, rest, _ := strings.Cut(info, " ")
	props = map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(p, "=")
		if ok && k != "" && v != "" {
			props[k] = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",").Replace(v)
			props[k] = strings.ReplaceAll(props[k], "%25", "%")
		}
	}
	data = strings.NewReplacer("%0D", "\r", "%0A", "\n").Replace(line[2+end+2:])
	data = strings.ReplaceAll(data, "%25", "%")
	return name, props, data
}

func TestAnnotations(t *testing.T) {
	w := newWorld(t)
	rep := w.run(t, w.hops(), false)
	cmds := Annotations(rep, "chains/ci, a:b.yaml")
	// billing, legacy (a warning), hostile, ledger, archive; not workouts.
	if len(cmds) != 5 {
		t.Fatalf("%d commands:\n%s", len(cmds), strings.Join(cmds, ""))
	}
	wantName := []string{"error", "warning", "error", "error", "error"}
	wantTitle := []string{
		"jwtrace chain: hop 2 (billing) rejected: invalid_token",
		"jwtrace chain: hop 3 (legacy) disagrees with its declared rules",
		"jwtrace chain: hop 4 (hostile ",
		"jwtrace chain: hop 5 (ledger) failed (502)",
		"jwtrace chain: hop 6 (archive) error: refused",
	}
	for i, c := range cmds {
		// One line each: no server text ends it or starts another.
		if strings.Count(c, "\n") != 1 || !strings.HasSuffix(c, "\n") || strings.Contains(c, "\r") {
			t.Fatalf("command %d is not one line: %q", i, c)
		}
		name, props, data := parseCommand(t, strings.TrimSuffix(c, "\n"))
		if name != wantName[i] || !strings.HasPrefix(props["title"], wantTitle[i]) {
			t.Errorf("command %d: %s title=%q, want %s %q", i, name, props["title"], wantName[i], wantTitle[i])
		}
		if props["file"] != "chains/ci, a:b.yaml" || len(props) != 2 {
			t.Errorf("command %d: properties %q", i, props)
		}
		if !strings.HasPrefix(data, "hop ") || !strings.Contains(data, "\nverdict: ") {
			t.Errorf("command %d: message %q", i, data)
		}
		for _, part := range w.tokenParts() {
			if strings.Contains(c, part) {
				t.Fatalf("command %d holds the token", i)
			}
		}
	}
	_, _, data := parseCommand(t, strings.TrimSuffix(cmds[0], "\n"))
	if !strings.Contains(data, "cause: aud: ") || !strings.Contains(data, "\nhint: ") {
		t.Errorf("billing's message lacks the cause and the hint: %q", data)
	}
	// The hostile text reads back as text (the message's own line breaks
	// are the details'; the server's are in the message's data only, the
	// command stays one line, checked above), its percent escapes and
	// control characters escaped.
	_, props, data := parseCommand(t, strings.TrimSuffix(cmds[2], "\n"))
	for _, s := range []string{props["title"], data} {
		if strings.ContainsAny(s, "\x1b\x00\r\u202e") {
			t.Errorf("raw control characters: %q", s)
		}
	}
	if !strings.Contains(data, "%0A::warning::forged") || !strings.Contains(data, `\x1b[31mred`) || !strings.Contains(props["title"], "<script>") {
		t.Errorf("the hostile text does not read back: title %q, message %q", props["title"], data)
	}
}

func TestAnnotationEscaping(t *testing.T) {
	got := command("error", "a:b,c%d\ne", "dir/f,1:2.yaml", "x%y\r\nz::w")
	want := "::error title=a%3Ab%2Cc%25d\\x0ae,file=dir/f%2C1%3A2.yaml::x%25y%0Az::w\n"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
