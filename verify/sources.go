package verify

import (
	"context"
	"fmt"
	"strings"
)

// Sources are the places the user said keys come from.
type Sources struct {
	// Authority is an issuer URL or its discovery URL.
	Authority string
	// JWKSURL is a JWKS URL.
	JWKSURL string
	// KeyFiles are PEM, JWK or JWKS files.
	KeyFiles []string
	// Secret is an HMAC secret; SecretSource says where it came from.
	Secret       []byte
	SecretSource string
}

// Origin says where the keys came from, for the report.
type Origin struct {
	Authority string `json:"authority,omitempty"`
	// Issuer is the discovery document's issuer.
	Issuer    string     `json:"issuer,omitempty"`
	Discovery *FetchInfo `json:"discovery,omitempty"`
	// SigningAlgs are the discovery document's
	// id_token_signing_alg_values_supported.
	SigningAlgs []string   `json:"signing_algs,omitempty"`
	JWKS        *FetchInfo `json:"jwks,omitempty"`
	Files       []string   `json:"files,omitempty"`
	Secret      string     `json:"secret,omitempty"`
	Keys        []Key      `json:"keys"`
	// Notes name keys that were left out and why.
	Notes []string `json:"notes,omitempty"`
}

// KeysText describes the keys in a few words: "2 in JWKS: k1 (RSA 2048),
// ec1 (EC P-256)".
func (o *Origin) KeysText() string {
	var parts []string
	for _, k := range o.Keys {
		if k.ID != "" {
			parts = append(parts, fmt.Sprintf("%s (%s)", k.ID, k.Detail))
		} else {
			parts = append(parts, k.Detail)
		}
	}
	if len(parts) == 0 {
		return "none usable"
	}
	n := "1 key"
	if len(parts) > 1 {
		n = fmt.Sprintf("%d keys", len(parts))
	}
	return n + ": " + strings.Join(parts, ", ")
}

// LoadKeys gathers the keys of every source: local files and the secret,
// then the authority's or the given JWKS. Remote keys can be refetched once
// by the key set when a token names a kid they lack.
func (f *Fetcher) LoadKeys(ctx context.Context, src Sources) (*KeySet, *Origin, error) {
	o := &Origin{Authority: src.Authority, Files: src.KeyFiles, Secret: src.SecretSource}
	var local, refused []Key
	for _, path := range src.KeyFiles {
		keys, left, notes, err := loadKeyFile(path)
		if err != nil {
			return nil, nil, &KeyFileError{err}
		}
		local = append(local, keys...)
		refused = append(refused, left...)
		for _, n := range notes {
			o.Notes = append(o.Notes, path+": "+n)
		}
	}
	if src.Secret != nil {
		// ReadSecret checks what cmd reads; a library caller's secret is
		// checked here.
		if err := CheckSecret(src.Secret); err != nil {
			return nil, nil, &SecretError{fmt.Errorf("%s: %w", src.SecretSource, err)}
		}
		local = append(local, SecretKey(src.Secret, src.SecretSource))
	}
	jwksURL := src.JWKSURL
	if src.Authority != "" {
		d, info, err := f.Discover(ctx, src.Authority)
		if err != nil {
			return nil, nil, err
		}
		o.Issuer, o.Discovery, o.SigningAlgs = d.Issuer, &info, d.SigningAlgs
		if jwksURL == "" {
			jwksURL = d.JWKSURI
		}
	}
	var remote []Key
	var refresh func(context.Context) ([]Key, error)
	origin := "the given keys"
	if jwksURL != "" {
		keys, left, notes, info, err := f.jwks(ctx, jwksURL, false)
		if err != nil {
			return nil, nil, err
		}
		o.Keys = append(append([]Key(nil), local...), keys...)
		remote, o.JWKS = append(keys, left...), &info
		o.Notes = append(o.Notes, notes...)
		origin = "the JWKS of " + jwksURL
		refresh = func(ctx context.Context) ([]Key, error) {
			keys, left, _, _, err := f.jwks(ctx, jwksURL, true)
			return append(keys, left...), err
		}
	} else {
		o.Keys = append([]Key(nil), local...)
	}
	// The refused keys go into the key set after the usable ones: they
	// never verify, but a token that names one is told why.
	return NewKeySet(origin, append(local, refused...), remote, refresh), o, nil
}

// SecretError is a shared secret that cannot be used (an input error).
type SecretError struct{ Err error }

func (e *SecretError) Error() string { return "--secret " + e.Err.Error() }
func (e *SecretError) Unwrap() error { return e.Err }

// KeyFileError is a key file that cannot be used (an input error).
type KeyFileError struct{ Err error }

func (e *KeyFileError) Error() string { return "--key " + e.Err.Error() }
func (e *KeyFileError) Unwrap() error { return e.Err }
