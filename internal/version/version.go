// Package version says which build of jwtrace is running.
package version

import (
	"runtime/debug"
	"strings"
)

// Version is set at release time with
// -ldflags "-X github.com/jwtrace/jwtrace/internal/version.Version=v1.2.3".
var Version = ""

// Commit and Date are set the same way by the release build.
var (
	Commit = ""
	Date   = ""
)

// String returns the version: the stamped one, else the module version from
// the build info (go install ...@v1.2.3), else the VCS revision, else "dev".
func String() string {
	if Version != "" {
		return strings.TrimPrefix(Version, "v")
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return strings.TrimPrefix(v, "v")
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "dev-" + rev
}
