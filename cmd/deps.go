package cmd

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/pkg/browser"

	"github.com/jwtrace/jwtrace/chain"
	"github.com/jwtrace/jwtrace/internal/ui"
)

// Deps are what a run of jwtrace takes from the world: its streams and
// environment (Streams.Env is the one getenv: the cache, configuration and
// authority state directories are found from it, never from the process's
// environment), its clock, the browser and the device poll loop's wait.
// Main uses the process's; tests build their own, so that they can run in
// parallel.
type Deps struct {
	Streams *ui.Streams
	// Now is the clock every command uses (nil: time.Now).
	Now func() time.Time
	// OpenBrowser opens a URL in the user's browser (nil: the system's).
	OpenBrowser func(url string) error
	// PollSleep is the device poll loop's wait (nil: a timer).
	PollSleep func(ctx context.Context, d time.Duration) error

	// chainReport, when set, gets the report of a chain command (the
	// demo's chain step reads it for --json and its verdict).
	chainReport func(*chain.Report)
}

// withDefaults fills in what d leaves out.
func (d Deps) withDefaults() *Deps {
	if d.Streams == nil {
		d.Streams = ui.System()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.OpenBrowser == nil {
		d.OpenBrowser = systemBrowser
	}
	return &d
}

var quietBrowser sync.Once

// systemBrowser opens u in the user's browser.
func systemBrowser(u string) error {
	// pkg/browser copies the launcher's output to os.Stdout by default,
	// which would corrupt TOKEN=$(jwtrace login ...).
	quietBrowser.Do(func() { browser.Stdout, browser.Stderr = io.Discard, io.Discard })
	return browser.OpenURL(u)
}

// userCacheDir is os.UserCacheDir on the streams' environment (the rules
// of os/file.go UserCacheDir, Go 1.26).
func userCacheDir(getenv func(string) string) (string, error) {
	return userDir(getenv, "XDG_CACHE_HOME", "LocalAppData", "/Library/Caches", "/lib/cache", "/.cache")
}

// userConfigDir is os.UserConfigDir on the streams' environment (the rules
// of os/file.go UserConfigDir, Go 1.26).
func userConfigDir(getenv func(string) string) (string, error) {
	return userDir(getenv, "XDG_CONFIG_HOME", "AppData", "/Library/Application Support", "/lib", "/.config")
}

func userDir(getenv func(string) string, xdg, windows, darwin, plan9, unix string) (string, error) {
	var dir string
	switch runtime.GOOS {
	case "windows":
		if dir = getenv(windows); dir == "" {
			return "", errors.New("%" + windows + "% is not defined")
		}
	case "darwin", "ios":
		if dir = getenv("HOME"); dir == "" {
			return "", errors.New("$HOME is not defined")
		}
		dir += darwin
	case "plan9":
		if dir = getenv("home"); dir == "" {
			return "", errors.New("$home is not defined")
		}
		dir += plan9
	default:
		dir = getenv(xdg)
		if dir == "" {
			if dir = getenv("HOME"); dir == "" {
				return "", errors.New("neither $" + xdg + " nor $HOME are defined")
			}
			dir += unix
		} else if !filepath.IsAbs(dir) {
			return "", errors.New("path in $" + xdg + " is relative")
		}
	}
	return dir, nil
}
