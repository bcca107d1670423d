package verify

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"sort"
	"strings"
)

// kids lists the key IDs of the usable keys, sorted, for messages.
func kids(keys []Key) string {
	var ids []string
	for _, k := range keys {
		if k.refused != "" {
			continue
		}
		if k.ID != "" {
			ids = append(ids, k.ID)
		} else {
			ids = append(ids, "(no kid) "+k.Detail)
		}
	}
	sort.Strings(ids)
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// withSource names a key and where it came from, once: a kid-less key's
// Name already says its source.
func (k *Key) withSource() string {
	if k.ID == "" {
		return k.Name()
	}
	return k.Name() + " from " + k.Source
}

// dropRefused returns the usable keys among matched and, when kid names a
// refused key, that key.
func dropRefused(matched []Key, kid string) (usable []Key, refused *Key) {
	n := 0
	for i := range matched {
		if matched[i].refused != "" {
			n++
		}
	}
	if n == 0 {
		return matched, nil
	}
	usable = make([]Key, 0, len(matched)-n)
	for i := range matched {
		switch {
		case matched[i].refused == "":
			usable = append(usable, matched[i])
		case kid != "" && matched[i].ID == kid && refused == nil:
			refused = &matched[i]
		}
	}
	return usable, refused
}

// sigSize is the length of an alg signature made with k (RFC 7518 §3.2-3.5,
// RFC 8037 §3.1), or 0 when it is not fixed.
func sigSize(k *Key, alg string) int {
	switch p := k.Public.(type) {
	case *rsa.PublicKey:
		return (p.N.BitLen() + 7) / 8
	case *ecdsa.PublicKey:
		return 2 * ((p.Curve.Params().BitSize + 7) / 8)
	case ed25519.PublicKey:
		return ed25519.SignatureSize
	case []byte:
		return hmacBytes(alg)
	}
	return 0
}

// sigSizeProblem says when a signature of n bytes cannot be one of alg by
// any of keys, which all make signatures of one size: a cut token is not a
// tampered one. It returns the code and the size wanted, or "".
func sigSizeProblem(keys []Key, alg string, n int) (Code, int) {
	want := 0
	for i := range keys {
		s := sigSize(&keys[i], alg)
		if s == 0 || (want != 0 && s != want) {
			return "", 0
		}
		want = s
	}
	switch {
	case want == 0 || n == want:
		return "", 0
	case n < want:
		return CodeSigTruncated, want
	default:
		return CodeSigSize, want
	}
}
