package verify

import (
	"context"
	"sync"
	"sync/atomic"
)

// KeySet is the keys a Verifier may use: local ones, and remote ones that
// can be refetched once when a token names a kid they lack.
type KeySet struct {
	// Origin names where the keys come from, for messages: "the JWKS of
	// https://...", "--key files".
	Origin string

	mu         sync.Mutex // held while refreshing
	local      []Key
	remote     []Key
	refresh    func(context.Context) ([]Key, error)
	refreshed  atomic.Bool
	refreshErr error
	// refreshKid is the kid that made the set refetch.
	refreshKid string
	idx        atomic.Pointer[keyIndex]
}

// NewKeySet makes a key set. refresh, when not nil, refetches the remote
// keys; it is called at most once.
func NewKeySet(origin string, local, remote []Key, refresh func(context.Context) ([]Key, error)) *KeySet {
	s := &KeySet{Origin: origin, local: named(local), remote: named(remote), refresh: refresh}
	s.idx.Store(newKeyIndex(s.local, s.remote))
	return s
}

// Keys returns every key.
func (s *KeySet) Keys() []Key { return append([]Key(nil), s.idx.Load().all...) }

// Refreshed reports whether the remote keys were refetched.
func (s *KeySet) Refreshed() bool { return s.refreshed.Load() }

// lookup returns the keys that match kid: those with that kid, else those
// with none (PEM files, secrets). A kid found nowhere triggers one refresh.
// Lookups read an immutable index without locking; only the refresh locks.
func (s *KeySet) lookup(ctx context.Context, kid string) (matched []Key, refreshed bool, err error) {
	idx := s.idx.Load()
	matched = idx.match(kid)
	// A kid no key has triggers the refetch even when keys without a kid
	// could be tried: the key may simply have rotated.
	if kid == "" || s.refresh == nil || len(idx.byID[kid]) > 0 || (len(matched) > 0 && s.refreshed.Load()) {
		return matched, s.refreshed.Load(), nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.refreshed.Load() {
		s.refreshKid = kid
		keys, err := s.refresh(ctx)
		if err != nil {
			s.refreshErr = err
		} else {
			s.remote = named(keys)
			s.idx.Store(newKeyIndex(s.local, s.remote))
		}
		s.refreshed.Store(true)
	}
	return s.idx.Load().match(kid), true, s.refreshErr
}

// NoteRefetch makes o, the Origin LoadKeys returned with s, tell what
// happened to the JWKS since: when a token named a kid the first copy
// lacked and s fetched the JWKS again, o.JWKS says so (refetched, not
// cached, the kid that caused it, the first copy in Before) and o.Keys are
// the keys after the refetch; a failed refetch is named in o.JWKS and the
// keys stay. Call it after verifying, before reporting o. Noting twice
// changes nothing.
func (o *Origin) NoteRefetch(s *KeySet) {
	if o == nil || o.JWKS == nil || s == nil || !s.refreshed.Load() {
		return
	}
	s.mu.Lock()
	kid, err, remote := s.refreshKid, s.refreshErr, s.remote
	local := s.local
	s.mu.Unlock()
	if o.JWKS.RefetchKid != "" {
		return
	}
	info := &FetchInfo{URL: o.JWKS.URL, RefetchKid: kid}
	if err != nil {
		first := *o.JWKS
		first.RefetchKid, first.RefetchError = kid, err.Error()
		o.JWKS = &first
		return
	}
	// The refetch skips the cache (Fetcher.get with refresh): this copy
	// was just fetched.
	before := *o.JWKS
	info.Refetched, info.Before = true, &before
	o.JWKS = info
	o.Keys = o.Keys[:0:0]
	for _, list := range [][]Key{local, remote} {
		for _, k := range list {
			if k.refused == "" {
				o.Keys = append(o.Keys, k)
			}
		}
	}
}

// keyIndex is a key set's lookup tables. It is never changed once built, so
// lookups can hand out its slices.
type keyIndex struct {
	all, noID []Key
	byID      map[string][]Key
}

func newKeyIndex(local, remote []Key) *keyIndex {
	x := &keyIndex{all: append(append([]Key(nil), local...), remote...), byID: map[string][]Key{}}
	for _, k := range x.all {
		if k.ID == "" {
			x.noID = append(x.noID, k)
		} else {
			x.byID[k.ID] = append(x.byID[k.ID], k)
		}
	}
	return x
}

func (x *keyIndex) match(kid string) []Key {
	if kid == "" {
		return x.all
	}
	if keys := x.byID[kid]; len(keys) > 0 {
		return keys
	}
	return x.noID
}
