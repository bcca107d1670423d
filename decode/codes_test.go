package decode

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"
)

// TestREADMEDocumentsEveryDiagnosticCode keeps the diagnostics table (the
// "Diagnostics" section of README.md or of a docs/guide page: decode's
// guide page has it) and the codes decode can emit in step, both ways.
func TestREADMEDocumentsEveryDiagnosticCode(t *testing.T) {
	guide, err := filepath.Glob("../docs/guide/*.md")
	if err != nil || len(guide) == 0 {
		t.Fatalf("no docs/guide/*.md (%v)", err)
	}
	section, where := "", ""
	heading := regexp.MustCompile(`(?m)^(#+) Diagnostics\n`)
	for _, file := range append([]string{"../README.md"}, guide...) {
		doc, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		m := heading.FindSubmatchIndex(doc)
		if m == nil {
			continue
		}
		if where != "" {
			t.Fatalf("a Diagnostics section in both %s and %s: keep one table", where, file)
		}
		where = file
		// The section ends at the next heading of its level or above.
		level := m[3] - m[2]
		rest := string(doc[m[1]:])
		section = rest
		if end := regexp.MustCompile(`(?m)^#{1,` + strconv.Itoa(level) + `} `).FindStringIndex(rest); end != nil {
			section = rest[:end[0]]
		}
	}
	if where == "" {
		t.Fatal("no Diagnostics section in README.md or docs/guide/*.md")
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\|").FindAllStringSubmatch(section, -1) {
		documented[m[1]] = true
	}
	var missing, extra []string
	known := map[string]bool{}
	for _, c := range AllCodes {
		known[c] = true
		if !documented[c] {
			missing = append(missing, c)
		}
	}
	for c := range documented {
		if !known[c] {
			extra = append(extra, c)
		}
	}
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("%s diagnostics table: missing %v, documents unknown %v", where, missing, extra)
	}
}
