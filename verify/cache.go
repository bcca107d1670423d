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

	"github.com/jwtrace/jwtrace/internal/privfile"
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
// ignored: the cache saves requests, it never decides anything. Check must
// pass before it is used: a directory or file others can write could hold
// keys an attacker chose.
type Cache struct {
	Dir string
	// Scope separates documents fetched under different trust: keys
	// fetched with a private CA or plain HTTP are never handed to a run
	// that would not have accepted that connection.
	Scope string
}

// Check makes the directory (mode 0700) if it is missing and refuses one
// that is not the user's own or that others can read or write.
func (c *Cache) Check() error {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Stat(c.Dir)
	if err != nil {
		return err
	}
	return privateFile(fi, true)
}

type cacheEntry struct {
	URL     string `json:"url"`
	Scope   string `json:"scope,omitempty"`
	Fetched int64  `json:"fetched"`
	Expires int64  `json:"expires"`
	ETag    string `json:"etag,omitempty"`
	Body    string `json:"body"`
}

// fresh: fetched no later than a minute from now, not expired, and never
// kept longer than MaxCacheTTL whatever the file says.
func (e *cacheEntry) fresh(now time.Time) bool {
	return now.Unix() < e.Expires && now.Unix() >= e.Fetched-60 && e.Expires-e.Fetched <= int64(MaxCacheTTL/time.Second)
}

func (c *Cache) path(u string) string {
	sum := sha256.Sum256([]byte(c.Scope + "\x00" + u))
	return filepath.Join(c.Dir, hex.EncodeToString(sum[:16])+".json")
}

func (c *Cache) load(u string) *cacheEntry {
	p := c.path(u)
	fi, err := os.Stat(p)
	if err != nil || privateFile(fi, false) != nil {
		return nil
	}
	b, err := readFileLimited(p, MaxJWKSBytes*2)
	if err != nil {
		return nil
	}
	var e cacheEntry
	if json.Unmarshal(b, &e) != nil || e.URL != u || e.Scope != c.Scope {
		return nil
	}
	return &e
}

func (c *Cache) store(e *cacheEntry) {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return
	}
	e.Scope = c.Scope
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	_ = privfile.WriteFileAtomic(c.path(e.URL), b)
}

func (c *Cache) remove(u string) { _ = os.Remove(c.path(u)) }

// Doc is a document another fetcher (chain's protected resource metadata)
// kept with KeepDoc: its body and age when it is still fresh at now, as a
// discovery document would be.
func (c *Cache) Doc(u string, now time.Time) (body []byte, age time.Duration, ok bool) {
	e := c.load(u)
	if e == nil || !e.fresh(now) {
		return nil, 0, false
	}
	return []byte(e.Body), now.Sub(time.Unix(e.Fetched, 0)), true
}

// KeepDoc keeps a document fetched at now for as long as its response's
// Cache-Control allows (not at all with no-store), as discovery documents
// are kept.
func (c *Cache) KeepDoc(u string, body []byte, h http.Header, now time.Time) {
	if noStore(h) {
		return
	}
	c.store(&cacheEntry{URL: u, Fetched: now.Unix(), Expires: now.Add(cacheTTL(h)).Unix(), ETag: h.Get("ETag"), Body: string(body)})
}

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
