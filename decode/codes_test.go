package decode

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestREADMEDocumentsEveryDiagnosticCode keeps the README's diagnostics
// table and the codes decode can emit in step, both ways.
func TestREADMEDocumentsEveryDiagnosticCode(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	if i := strings.Index(section, "### Diagnostics"); i >= 0 {
		section = section[i:]
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
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
		t.Errorf("README diagnostics table: missing %v, documents unknown %v", missing, extra)
	}
}
