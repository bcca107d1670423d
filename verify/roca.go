package verify

import (
	"math/big"

	"github.com/jwtrace/jwtrace/internal/lazy"
)

// rocaPrimes are the small primes of the ROCA fingerprint test (Nemec et
// al., "The Return of Coppersmith's Attack", CCS 2017). Infineon's library
// built every prime as k·M + (65537^a mod M), with M the product of the
// first primes, so the modulus N is, modulo each of these primes, a power of
// 65537. A random modulus passes that test for all of them with negligible
// probability.
var rocaPrimes = []int64{3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167}

// rocaGroups[i] is the set of powers of 65537 modulo rocaPrimes[i], made
// on first use (not at start-up: decode should not pay for it).
var rocaGroupsOnce lazy.Value[[]map[int64]bool]

func rocaGroups() []map[int64]bool { return rocaGroupsOnce.Get(buildRocaGroups) }

func buildRocaGroups() []map[int64]bool {
	groups := make([]map[int64]bool, len(rocaPrimes))
	for i, p := range rocaPrimes {
		g := map[int64]bool{}
		for x := int64(1); !g[x]; x = x * (65537 % p) % p {
			g[x] = true
		}
		groups[i] = g
	}
	return groups
}

// rocaVulnerable reports whether n has the ROCA fingerprint
// (CVE-2017-15361): its factors can be computed, so anyone can sign with it.
func rocaVulnerable(n *big.Int) bool {
	var m, r big.Int
	groups := rocaGroups()
	for i, p := range rocaPrimes {
		m.SetInt64(p)
		r.Mod(n, &m)
		if !groups[i][r.Int64()] {
			return false
		}
	}
	return true
}
