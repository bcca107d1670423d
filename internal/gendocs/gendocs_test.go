package main

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// repoDocs is the committed docs/ directory, from this package's directory.
const repoDocs = "../../docs"

// The committed docs/ are exactly what the generator makes from today's
// commands: a changed flag, help text or command without regenerated docs
// fails here.
func TestCommittedDocsMatchTheCommands(t *testing.T) {
	got := t.TempDir()
	if err := generate(docsOptions(got)); err != nil {
		t.Fatal(err)
	}
	want := readTree(t, repoDocs)
	fresh := readTree(t, got)
	const hint = "; run go run ./internal/gendocs and commit docs/"
	for _, name := range sortedKeys(fresh) {
		old, ok := want[name]
		switch {
		case !ok:
			t.Errorf("docs/%s is missing%s", name, hint)
		case !bytes.Equal(old, fresh[name]):
			t.Errorf("docs/%s differs from the commands (%s)%s", name, firstDifference(old, fresh[name]), hint)
		}
	}
	for _, name := range sortedKeys(want) {
		if _, ok := fresh[name]; !ok && generated(name) {
			t.Errorf("docs/%s documents no command any more%s", name, hint)
		}
	}
}

// The docs do not depend on who generates them, where, or when: another
// $HOME, user, cache and config directory, working directory and time zone
// give the same bytes, and none of those values shows up in them.
func TestDocsDoNotDependOnTheMachine(t *testing.T) {
	first := t.TempDir()
	if err := generate(docsOptions(first)); err != nil {
		t.Fatal(err)
	}

	odd := t.TempDir()
	home := filepath.Join(odd, "home-gendocs-probe")
	for k, v := range map[string]string{
		"HOME":                  home,
		"USER":                  "gendocs-probe-user",
		"LOGNAME":               "gendocs-probe-user",
		"XDG_CACHE_HOME":        filepath.Join(odd, "cache-gendocs-probe"),
		"XDG_CONFIG_HOME":       filepath.Join(odd, "config-gendocs-probe"),
		"JWTRACE_CACHE_DIR":     filepath.Join(odd, "jwtrace-cache-probe"),
		"JWTRACE_AUTHORITY_DIR": filepath.Join(odd, "jwtrace-state-probe"),
		"JWTRACE_CLIENT_ID":     "gendocs-probe-client",
		"TZ":                    "Pacific/Kiritimati", // UTC+14: another day, at times another month
		"SOURCE_DATE_EPOCH":     "0",                  // ignored for docs/
	} {
		t.Setenv(k, v)
	}
	saved := time.Local
	time.Local = time.FixedZone("UTC+14", 14*3600)
	t.Cleanup(func() { time.Local = saved })
	t.Chdir(odd)

	second := filepath.Join(odd, "out")
	if err := generate(docsOptions(second)); err != nil {
		t.Fatal(err)
	}
	a, b := readTree(t, first), readTree(t, second)
	if len(a) != len(b) {
		t.Fatalf("%d files, then %d with another environment", len(a), len(b))
	}
	for name, data := range b {
		if !bytes.Equal(a[name], data) {
			t.Errorf("%s depends on the environment (%s)", name, firstDifference(a[name], data))
		}
		for _, probe := range []string{"gendocs-probe", "jwtrace-cache-probe", "jwtrace-state-probe", odd, first} {
			if bytes.Contains(data, []byte(probe)) {
				t.Errorf("%s contains %q from the environment", name, probe)
			}
		}
	}
}

// Every command gets a man page and a reference page with cobra's file
// names, and the index links each of them.
func TestEveryCommandHasPagesAndAnIndexEntry(t *testing.T) {
	dir := t.TempDir()
	if err := generate(docsOptions(dir)); err != nil {
		t.Fatal(err)
	}
	idx, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"jwtrace", "jwtrace decode", "jwtrace authority serve", "jwtrace completion bash"} {
		man := "man/" + strings.ReplaceAll(path, " ", "-") + ".1"
		md := "reference/" + strings.ReplaceAll(path, " ", "_") + ".md"
		for _, f := range []string{man, md} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("%s: no %s: %v", path, f, err)
			}
			if !bytes.Contains(idx, []byte("("+f+")")) {
				t.Errorf("README.md does not link %s", f)
			}
		}
	}
	page, err := os.ReadFile(filepath.Join(dir, "man", "jwtrace-decode.1"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte(`.TH "JWTRACE-DECODE" "1" "Dec 2026" "jwtrace" "jwtrace manual"`)) {
		t.Errorf("jwtrace-decode.1 header is not the fixed one:\n%s", firstLines(page, 3))
	}
	for _, f := range []string{"man/jwtrace.1", "reference/jwtrace.md"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte("Auto generated")) {
			t.Errorf("%s has cobra's dated auto-generated tag", f)
		}
		if !bytes.Contains(data, []byte("--version")) {
			t.Errorf("%s does not document the root's --version", f)
		}
	}
}

// -man (release packaging) dates the pages with $SOURCE_DATE_EPOCH, in UTC
// whatever the local time zone.
func TestSourceDateEpoch(t *testing.T) {
	saved := time.Local
	time.Local = time.FixedZone("UTC+14", 14*3600)
	t.Cleanup(func() { time.Local = saved })

	for _, tc := range []struct {
		epoch string
		want  time.Time
		bad   bool
	}{
		{"", docsDate, false},
		{"1767225599", time.Date(2025, time.December, 31, 23, 59, 59, 0, time.UTC), false},
		{"0", time.Unix(0, 0).UTC(), false},
		{"yesterday", time.Time{}, true},
		{"-5", time.Time{}, true},
	} {
		got, err := sourceDate(tc.epoch)
		if tc.bad {
			if err == nil || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH") {
				t.Errorf("SOURCE_DATE_EPOCH=%q: error %v, want one naming SOURCE_DATE_EPOCH", tc.epoch, err)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("SOURCE_DATE_EPOCH=%q: %v, %v; want %v UTC", tc.epoch, got, err, tc.want)
		}
	}

	dir := t.TempDir()
	date, _ := sourceDate("1767225599") // 23:59:59 UTC on Dec 31: Jan 2026 east of UTC
	if err := generate(options{manDir: dir, date: date, source: "jwtrace 1.2.3"}); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "jwtrace.1"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte(`.TH "JWTRACE" "1" "Dec 2025" "jwtrace 1.2.3" "jwtrace manual"`)) {
		t.Errorf("jwtrace.1 header:\n%s", firstLines(page, 3))
	}
	if entries, _ := os.ReadDir(dir); len(entries) < 2 {
		t.Errorf("-man wrote %d files, want one per command", len(entries))
	}
}

// generated says whether a file under docs/ is one the generator writes
// (docs/ may hold hand-written files too).
func generated(name string) bool {
	return name == "README.md" ||
		(strings.HasPrefix(name, "man/") && strings.HasSuffix(name, ".1")) ||
		(strings.HasPrefix(name, "reference/jwtrace") && strings.HasSuffix(name, ".md"))
}

// readTree reads every file under dir, keyed by slash-separated relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatalf("reading %s: %v (run go run ./internal/gendocs)", dir, err)
	}
	return files
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// firstDifference describes the first line where old and fresh differ.
func firstDifference(old, fresh []byte) string {
	a, b := strings.Split(string(old), "\n"), strings.Split(string(fresh), "\n")
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y || i >= len(a) || i >= len(b) {
			return "line " + strconv.Itoa(i+1) + ": committed " + quote(x, i < len(a)) + ", generated " + quote(y, i < len(b))
		}
	}
	return "same lines"
}

func quote(s string, present bool) string {
	if !present {
		return "(end of file)"
	}
	return `"` + s + `"`
}

func firstLines(b []byte, n int) string {
	lines := strings.SplitN(string(b), "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
