package login

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/jwtrace/jwtrace/internal/privfile"
)

// Cache keeps tokens on disk, one file per login (every endpoint and
// parameter that decides where the token goes and what it is for, see
// CacheKey), in a directory only the user can read, files mode 0600.
// Other commands find a login's token with the same Request.
//
// A directory or file that is not the user's own, or that others can read
// or write, is refused (a CacheError), as the discovery cache does
// (verify.Cache.Check): whoever can write there can plant a token that
// jwtrace token prints, or read the refresh tokens.
type Cache struct {
	Dir string
}

// entry is a cached token with what it was for, so that logout can say.
type entry struct {
	Key   string     `json:"key"`
	Login CacheLogin `json:"login"`
	Token *Token     `json:"token"`
}

// CacheLogin describes a cached login, without secrets.
type CacheLogin struct {
	Authority      string   `json:"authority,omitempty"`
	TokenEndpoint  string   `json:"token_endpoint"`
	DeviceEndpoint string   `json:"device_endpoint,omitempty"`
	ClientID       string   `json:"client_id"`
	Grant          string   `json:"grant"`
	Scopes         []string `json:"scopes,omitempty"`
	Audience       string   `json:"audience,omitempty"`
	Resource       string   `json:"resource,omitempty"`
	// Params are the --param values; GivenTokenEndpoint and
	// GivenDeviceEndpoint the endpoints given as flags (not found by
	// discovery). With them the login's request can be rebuilt (Request),
	// for jwtrace token with partial flags.
	Params              url.Values `json:"params,omitempty"`
	GivenTokenEndpoint  string     `json:"given_token_endpoint,omitempty"`
	GivenDeviceEndpoint string     `json:"given_device_endpoint,omitempty"`
	// SecretTag is a keyed hash (HMAC-SHA256, with a random key kept in
	// the cache directory) of the client secret the token was obtained
	// with, never the secret itself: a request with another secret, or
	// none, does not get this token. Empty for public clients.
	SecretTag string `json:"secret_tag,omitempty"`
}

// CacheError is a token cache jwtrace will not use: a directory or file
// others could have written, or an entry holding a token that is not a
// plain token string. cmd shows it as an input error (exit 2).
type CacheError struct {
	Path    string
	Problem string
	// Fix says what to do.
	Fix string
}

func (e *CacheError) Error() string {
	return fmt.Sprintf("token cache %s %s; refusing to use it: %s", oneLine(e.Path), e.Problem, e.Fix)
}

// maxEntryBytes bounds a cache file: a token response is at most 1 MiB
// (maxResponseBytes), and JSON may escape some of it.
const maxEntryBytes = 4 * maxResponseBytes

// CacheKey names a login: the authority, token and device endpoints,
// client, grant, scopes (in any order), audience, resource and extra
// parameters, each in its own field so that no two logins share a key. A
// token obtained from one token endpoint is never refreshed at another. It
// needs no network, so a cached token is found without discovery. The
// client secret is not in the key but in the entry (CacheLogin.SecretTag).
func CacheKey(req *Request) string {
	scopes := append([]string(nil), req.Scopes...)
	sort.Strings(scopes)
	parts := []string{
		"v2",
		strings.TrimRight(req.Authority, "/"),
		req.TokenEndpoint,
		req.DeviceEndpoint,
		req.ClientID,
		req.Grant,
		strings.Join(scopes, " "),
		req.Audience,
		req.Resource,
		url.Values(req.Params).Encode(), // sorted by key, escaped
	}
	// JSON quotes each field, so a field holding the separator cannot
	// shift the others.
	b, _ := json.Marshal(parts)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

func (c *Cache) path(key string) string { return filepath.Join(c.Dir, key+".json") }

// Check makes the directory (mode 0700) if it is missing and refuses one
// that is not the user's own or that others can read or write.
//
// A directory that cannot be made (a read-only home, say) is
// ErrCacheUnavailable: nothing is cached then, and nothing can be planted.
func (c *Cache) Check() error {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		if _, serr := os.Stat(c.Dir); serr != nil {
			return fmt.Errorf("%w: %s: %s", ErrCacheUnavailable, c.Dir, errText(err))
		}
	}
	return c.checkDir()
}

// ErrCacheUnavailable is a cache directory that does not exist and cannot
// be made. Login goes on without the cache.
var ErrCacheUnavailable = errors.New("no token cache")

// checkDir refuses a directory that is not private; a missing one is
// fs.ErrNotExist.
func (c *Cache) checkDir() error {
	fi, err := os.Stat(c.Dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return &CacheError{Path: c.Dir, Problem: "cannot be read (" + errText(err) + ")", Fix: "set JWTRACE_CACHE_DIR to a directory of your own"}
	}
	return private(c.Dir, fi, true)
}

// readPrivate reads a file of the (checked) cache directory, refusing
// anything but a regular file of the user's own that others cannot read
// or write. The checks are made on the opened file, so a file swapped in
// between check and read is caught too.
func readPrivate(p string, limit int64) ([]byte, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &CacheError{Path: p, Problem: "is not a regular file", Fix: "remove it, or set JWTRACE_CACHE_DIR to a directory of your own"}
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := private(p, fi, false); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &CacheError{Path: p, Problem: fmt.Sprintf("is larger than %d bytes: jwtrace did not write it", limit), Fix: "remove it with jwtrace logout"}
	}
	return b, nil
}

// load reads the entry for key; nil when there is none (or it is not
// jwtrace's).
func (c *Cache) load(key string) (*entry, error) {
	b, err := readPrivate(c.path(key), maxEntryBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		var ce *CacheError
		if errors.As(err, &ce) {
			return nil, err
		}
		return nil, nil // unreadable: the cache only saves a login
	}
	var e entry
	if json.Unmarshal(b, &e) != nil || e.Key != key || e.Token == nil || e.Token.AccessToken == "" {
		return nil, nil
	}
	return &e, nil
}

// Get returns the cached token for req, or nil when there is none, or
// none obtained with the same client secret. The directory and file must
// be private, and the tokens plain token strings (a CacheError otherwise).
func (c *Cache) Get(req *Request) (*Token, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	key := CacheKey(req)
	p := c.path(key)
	e, err := c.load(key)
	if err != nil || e == nil {
		return nil, err
	}
	tag, err := c.secretTag(credential(req))
	if err != nil {
		return nil, err
	}
	if !hmac.Equal([]byte(e.Login.SecretTag), []byte(tag)) {
		return nil, nil
	}
	if name, problem := badToken(e.Token); name != "" {
		return nil, &CacheError{Path: p, Problem: "holds a cached " + name + " that is not a plain token string (" + problem + ")",
			Fix: "remove it with jwtrace logout, or log in again with jwtrace login --force"}
	}
	return e.Token, nil
}

// credential is what the secret tag covers: the client secret, the
// private_key_jwt key (by its RFC 7638 thumbprint) and a given client
// assertion, so that a token obtained with one credential is never handed
// out for a request that brings another (issue 17: a rotated CI secret or
// federated token must not pass from the cache). A secret alone is tagged
// as before, so existing entries still match.
func credential(req *Request) string {
	s := req.ClientSecret
	if req.ClientKey != nil {
		s += "\x00private_key_jwt:" + req.ClientKey.Thumbprint + ":" + req.ClientKey.KeyID
	}
	if req.ClientAssertion != "" {
		s += "\x00client_assertion:" + req.ClientAssertion
	}
	return s
}

// secretKeyFile holds the key of the secret tags (32 random bytes). It is
// not a .json file, so logout leaves it alone.
const secretKeyFile = "secret-tag.key"

// secretTag is the keyed hash of a client secret: "" for none.
func (c *Cache) secretTag(secret string) (string, error) {
	if secret == "" {
		return "", nil
	}
	key, err := c.secretKey()
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("jwtrace token cache client secret\x00" + secret))
	return hex.EncodeToString(m.Sum(nil)), nil
}

// secretKey reads the key of the secret tags, making it on first use.
func (c *Cache) secretKey() ([]byte, error) {
	p := filepath.Join(c.Dir, secretKeyFile)
	b, err := readPrivate(p, 64)
	var ce *CacheError
	switch {
	case err == nil && len(b) == 32:
		return b, nil
	case errors.As(err, &ce):
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	tmp, werr := c.writeTemp(key)
	if werr != nil {
		return nil, werr
	}
	defer os.Remove(tmp)
	if errors.Is(err, fs.ErrNotExist) {
		// Made without overwriting a key another jwtrace made meanwhile.
		if os.Link(tmp, p) == nil {
			return key, nil
		}
		if b, err := readPrivate(p, 64); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	// A damaged key is replaced: the entries made with it no longer match.
	return key, os.Rename(tmp, p)
}

// writeTemp writes b to a new file of mode 0600 in the directory, for a
// rename (or link) into place (atomic: a reader sees the old file or the
// new one).
func (c *Cache) writeTemp(b []byte) (string, error) {
	return privfile.WriteTemp(c.Dir, b)
}

// Put stores tok for req, with a description of the login.
func (c *Cache) Put(req *Request, login CacheLogin, tok *Token) error {
	if err := c.Check(); err != nil {
		return err
	}
	tag, err := c.secretTag(credential(req))
	if err != nil {
		return err
	}
	login.SecretTag = tag
	return c.put(entry{Key: CacheKey(req), Login: login, Token: tok})
}

// PutLogin stores tok under key with a description of the login, as it
// is (login.SecretTag included).
func (c *Cache) PutLogin(key string, login CacheLogin, tok *Token) error {
	return c.put(entry{Key: key, Login: login, Token: tok})
}

func (c *Cache) put(e entry) error {
	if err := c.Check(); err != nil {
		return err
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return privfile.WriteFileAtomic(c.path(e.Key), b)
}

// Clear removes cached tokens: all of them, or those whose login matches
// (a nil match removes everything). It returns how many it removed. A
// directory or entry that is not private is refused, as by Get.
func (c *Cache) Clear(match func(CacheLogin) bool) (int, error) {
	if err := c.checkDir(); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		return 0, err
	}
	entries, err := os.ReadDir(c.Dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, de := range entries {
		if !strings.HasSuffix(de.Name(), ".json") || !de.Type().IsRegular() {
			continue
		}
		p := filepath.Join(c.Dir, de.Name())
		// Only files that are jwtrace's own entries: never anything else
		// that happens to be in the directory.
		b, err := readPrivate(p, maxEntryBytes)
		var ce *CacheError
		if errors.As(err, &ce) {
			return n, err
		}
		var e entry
		if err != nil || json.Unmarshal(b, &e) != nil || e.Key+".json" != de.Name() || e.Token == nil {
			continue
		}
		if match != nil && !match(e.Login) {
			continue
		}
		if err := os.Remove(p); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// errText is an OS error without Go's operation prefix when it has one.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
