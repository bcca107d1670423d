// Package version says which build of jwtrace is running.
package version

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Version, Commit and Date are set by the release build with
// -ldflags "-X github.com/jwtrace/jwtrace/internal/version.Version=1.2.3 ...".
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// String returns the version: the stamped one; else the module version Go
// recorded in the binary (v1.2.3 from go install ...@v1.2.3, or a
// pseudo-version naming the commit for a build in a git checkout); else
// "dev".
func String() string {
	if Version != "" {
		return strings.TrimPrefix(Version, "v")
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			return strings.TrimPrefix(v, "v")
		}
	}
	return "dev"
}

// Info describes the build, for jwtrace version --json.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Date      string `json:"date,omitempty"`
	GoVersion string `json:"go"`
	Platform  string `json:"platform"`
}

// Get returns the build's Info.
func Get() Info {
	return Info{String(), Commit, Date, runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH}
}
