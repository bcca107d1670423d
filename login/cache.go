package login

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Cache keeps tokens on disk, one file per login (authority, client,
// grant, scopes, audience, resource), in a directory only the user can
// read, files mode 0600. Other commands find a login's token with the
// same Request and CacheKey.
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
	TokenEndpoint string   `json:"token_endpoint"`
	ClientID      string   `json:"client_id"`
	Grant         string   `json:"grant"`
	Scopes        []string `json:"scopes,omitempty"`
	Audience      string   `json:"audience,omitempty"`
	Resource      string   `json:"resource,omitempty"`
}

// CacheKey names a login: the authority (or, without one, the token
// endpoint), client, grant, scopes (in any order), audience, resource and
// extra parameters. It needs no network, so a cached token is found
// without discovery.
func CacheKey(req *Request) string {
	scopes := append([]string(nil), req.Scopes...)
	sort.Strings(scopes)
	var params []string
	for k, v := range req.Params {
		params = append(params, k+"="+strings.Join(v, ","))
	}
	sort.Strings(params)
	where := strings.TrimRight(req.Authority, "/")
	if where == "" {
		where = req.TokenEndpoint
	}
	parts := []string{where, req.ClientID, req.Grant, strings.Join(scopes, " "), req.Audience, req.Resource, strings.Join(params, "&")}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:16])
}

func (c *Cache) path(key string) string { return filepath.Join(c.Dir, key+".json") }

// Get returns the cached token for key.
func (c *Cache) Get(key string) (*Token, bool) {
	b, err := os.ReadFile(c.path(key))
	if err != nil {
		return nil, false
	}
	var e entry
	if json.Unmarshal(b, &e) != nil || e.Key != key || e.Token == nil || e.Token.AccessToken == "" {
		return nil, false
	}
	return e.Token, true
}

// PutLogin stores tok with a description of the login.
func (c *Cache) PutLogin(key string, login CacheLogin, tok *Token) error {
	return c.put(entry{Key: key, Login: login, Token: tok})
}

func (c *Cache) put(e entry) error {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.Dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), c.path(e.Key))
}

// Clear removes cached tokens: all of them, or those whose login matches
// (a nil match removes everything). It returns how many it removed.
func (c *Cache) Clear(match func(CacheLogin) bool) (int, error) {
	entries, err := os.ReadDir(c.Dir)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, de := range entries {
		if !strings.HasSuffix(de.Name(), ".json") {
			continue
		}
		p := filepath.Join(c.Dir, de.Name())
		// Only files that are jwtrace's own entries: never anything else
		// that happens to be in the directory.
		b, err := os.ReadFile(p)
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
