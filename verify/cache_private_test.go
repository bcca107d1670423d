//go:build unix

package verify

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A named pipe where a cached document should be is refused before it is
// opened: opening it would wait for a writer that never comes, and
// verify would hang.
func TestCacheDoesNotOpenANamedPipe(t *testing.T) {
	t.Parallel()
	c := &Cache{Dir: filepath.Join(t.TempDir(), "http")}
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	u := "https://issuer.example/.well-known/openid-configuration"
	if err := syscall.Mkfifo(c.path(u), 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	done := make(chan *cacheEntry, 1)
	go func() { done <- c.load(u) }()
	select {
	case e := <-done:
		if e != nil {
			t.Fatalf("a named pipe was read as a cache entry: %+v", e)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the cache opened a named pipe and waits on it")
	}
}
