package version

import (
	"strings"
	"testing"
)

func TestStringPrefersTheStampedVersion(t *testing.T) {
	saved := Version
	t.Cleanup(func() { Version = saved })

	Version = "v1.2.3"
	if got := String(); got != "1.2.3" {
		t.Errorf("String() = %q, want 1.2.3 (stamped, without the v)", got)
	}

	// Without a stamp, a test binary has no module version and no VCS
	// stamp, so it falls back to "dev".
	Version = ""
	if got := String(); got != "dev" && !strings.HasPrefix(got, "dev-") {
		t.Errorf("String() = %q, want dev or dev-<revision>", got)
	}
}
