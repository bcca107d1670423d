package cmd

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/internal/ui"
)

// testBrowsers holds the browser each test (and its subtests) gave with
// withBrowser, by test name: the runs of a test find it in their Deps, so
// tests that open browsers run in parallel.
var testBrowsers sync.Map

// withBrowser sets the browser of t's runs of jwtrace (and of its
// subtests').
func withBrowser(t *testing.T, open func(string) error) {
	t.Helper()
	name := t.Name()
	testBrowsers.Store(name, open)
	t.Cleanup(func() { testBrowsers.Delete(name) })
}

// testDeps are the Deps of a test's run: its streams and clock, the browser
// it gave (none opens otherwise), and a device poll loop that waits a
// hundredth of each interval (the RFC 8628 timing is tested in package
// login, on its own clock).
func testDeps(t *testing.T, s *ui.Streams, now func() time.Time) Deps {
	open := func(string) error { return errors.New("no browser in this test") }
	for name := t.Name(); ; {
		if f, ok := testBrowsers.Load(name); ok {
			open = f.(func(string) error)
			break
		}
		i := strings.LastIndex(name, "/")
		if i < 0 {
			break
		}
		name = name[:i]
	}
	return Deps{Streams: s, Now: now, OpenBrowser: open, PollSleep: fastPoll}
}

func fastPoll(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d / 100)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// The cache and configuration directories come from the run's own
// environment, by os.UserCacheDir's and os.UserConfigDir's rules, never
// from the process's.
func TestUserDirsComeFromTheRunsEnvironment(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("the XDG rules are those of Linux and the BSDs")
	}
	env := func(kv ...string) func(string) string {
		s := &ui.Streams{Env: kv}
		return s.Getenv
	}
	tests := []struct {
		name        string
		getenv      func(string) string
		cache, conf string
	}{
		{"XDG directories win", env("HOME=/home/a", "XDG_CACHE_HOME=/xc", "XDG_CONFIG_HOME=/xf"), "/xc", "/xf"},
		{"HOME is the fallback", env("HOME=/home/a"), "/home/a/.cache", "/home/a/.config"},
		{"a relative XDG directory is refused", env("HOME=/home/a", "XDG_CACHE_HOME=rel", "XDG_CONFIG_HOME=rel"), "", ""},
		{"neither is none", env(), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache, err := userCacheDir(tt.getenv)
			if cache != tt.cache || (err == nil) != (tt.cache != "") {
				t.Errorf("userCacheDir = %q, %v; want %q", cache, err, tt.cache)
			}
			conf, err := userConfigDir(tt.getenv)
			if conf != tt.conf || (err == nil) != (tt.conf != "") {
				t.Errorf("userConfigDir = %q, %v; want %q", conf, err, tt.conf)
			}
		})
	}
	if got := cacheDir(&ui.Streams{Env: []string{"HOME=/home/a"}}); got != "/home/a/.cache/jwtrace" {
		t.Errorf("cacheDir = %q", got)
	}
}
