package authority_test

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// Every jwtrace command links this package, so its init runs before
// jwtrace decode too (issue 18: start-up). The page templates are parsed
// when a page is first served, not at init: the init of the package
// allocates next to nothing. GODEBUG=inittrace=1 prints, per package,
// "init PKG @T ms, C ms clock, B bytes, N allocs" (runtime/proc.go,
// doInit1, Go 1.26).
func TestInitParsesNoTemplates(t *testing.T) {
	if os.Getenv("JWTRACE_INIT_CHILD") == "1" {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestInitParsesNoTemplates$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1", "JWTRACE_INIT_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^init github\.com/jwtrace/jwtrace/authority @\S+ ms, \S+ ms clock, (\d+) bytes, (\d+) allocs$`).FindSubmatch(out)
	if m == nil {
		return // no init work at all (inittrace lists only packages that have some)
	}
	bytes, _ := strconv.Atoi(string(m[1]))
	allocs, _ := strconv.Atoi(string(m[2]))
	// Parsing the two pages took 479 allocations and 26 kB.
	if allocs > 40 || bytes > 4096 {
		t.Errorf("the authority package's init allocates %d bytes in %d allocations; want its work done lazily", bytes, allocs)
	}
}
