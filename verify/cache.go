package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Bounds on how long a discovery document or JWKS is reused. Servers say
// anything from max-age=0 to a year; a key rotation must be seen within a
// day, and a loop of verify calls in CI must not refetch every time.
const (
	DefaultCacheTTL = 15 * time.Minute
	MinCacheTTL     = time.Minute
	MaxCacheTTL     = 24 * time.Hour
)

// Cache keeps fetched discovery documents and JWKS on disk, one file per
// URL, readable only by the user. Every failure to read or write it is
// ignored: the cache saves requests, it never decides anything.
type Cache struct {
	Dir string
}

type cacheEntry struct {
	URL     string `json:"url"`
	Fetched int64  `json:"fetched"`
	Expires int64  `json:"expires"`
	ETag    string `json:"etag,omitempty"`
	Body    string `json:"body"`
}

func (e *cacheEntry) fresh(now time.Time) bool {
	return now.Unix() < e.Expires && now.Unix() >= e.Fetched-60
}

func (c *Cache) path(u string) string {
	sum := sha256.Sum256([]byte(u))
	return filepath.Join(c.Dir, hex.EncodeToString(sum[:16])+".json")
}

func (c *Cache) load(u string) *cacheEntry {
	b, err := readFileLimited(c.path(u), MaxJWKSBytes*2)
	if err != nil {
		return nil
	}
	var e cacheEntry
	if json.Unmarshal(b, &e) != nil || e.URL != u {
		return nil
	}
	return &e
}

func (c *Cache) store(e *cacheEntry) {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return
	}
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	tmp, err := os.CreateTemp(c.Dir, ".tmp-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), c.path(e.URL)) != nil {
		_ = os.Remove(tmp.Name())
	}
}

func (c *Cache) remove(u string) { _ = os.Remove(c.path(u)) }

// Clear removes every cached document.
func (c *Cache) Clear() error {
	entries, err := os.ReadDir(c.Dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			if err := os.Remove(filepath.Join(c.Dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// cacheTTL reads Cache-Control: max-age, bounded to [MinCacheTTL,
// MaxCacheTTL]. no-cache and max-age=0 mean "revalidate each time" (the
// ETag still saves the body).
func cacheTTL(h http.Header) time.Duration {
	ttl := time.Duration(-1)
	for _, d := range strings.Split(strings.ToLower(h.Get("Cache-Control")), ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch name {
		case "no-cache":
			return 0
		case "max-age":
			if n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64); err == nil && n >= 0 {
				ttl = time.Duration(min(n, int64(MaxCacheTTL/time.Second)+1)) * time.Second
			}
		}
	}
	switch {
	case ttl < 0:
		return DefaultCacheTTL
	case ttl == 0:
		return 0
	case ttl < MinCacheTTL:
		return MinCacheTTL
	case ttl > MaxCacheTTL:
		return MaxCacheTTL
	}
	return ttl
}

func noStore(h http.Header) bool {
	return strings.Contains(strings.ToLower(h.Get("Cache-Control")), "no-store")
}
