package version

import (
	"runtime"
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
	if got := Get(); got.Version != "1.2.3" || got.GoVersion != runtime.Version() || !strings.Contains(got.Platform, "/") {
		t.Errorf("Get() = %+v", got)
	}

	// Without a stamp a test binary has no module version: "dev".
	Version = ""
	if got := String(); got != "dev" {
		t.Errorf("String() = %q, want dev", got)
	}
}
