package verify

// algInfo is one JWS algorithm jwtrace verifies (RFC 7518 §3.1, RFC 8037
// §3.1, RFC 9864 for "Ed25519").
type algInfo struct {
	name string
	// kty is the key type that verifies it; curve the EC curve.
	kty, curve string
	// hashBytes is an HMAC algorithm's hash size: its shortest secret
	// (RFC 7518 §3.2) and its signature size.
	hashBytes int
}

// algTable is the one table of algorithms: the --alg values Check takes,
// the algorithms each key allows and the HMAC sizes all come from it.
var algTable = []algInfo{
	{name: "RS256", kty: "RSA"}, {name: "RS384", kty: "RSA"}, {name: "RS512", kty: "RSA"},
	{name: "PS256", kty: "RSA"}, {name: "PS384", kty: "RSA"}, {name: "PS512", kty: "RSA"},
	{name: "ES256", kty: "EC", curve: "P-256"}, {name: "ES384", kty: "EC", curve: "P-384"}, {name: "ES512", kty: "EC", curve: "P-521"},
	{name: "EdDSA", kty: "OKP"}, {name: "Ed25519", kty: "OKP"},
	{name: "HS256", kty: "oct", hashBytes: 32}, {name: "HS384", kty: "oct", hashBytes: 48}, {name: "HS512", kty: "oct", hashBytes: 64},
}

// The algorithms each key type allows (shared, never modified), as
// literals, which need no init code at start-up; TestAlgListsAreTheTables
// checks them against algTable.
var (
	knownAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519", "HS256", "HS384", "HS512"}
	rsaAlgs   = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
	edAlgs    = []string{"EdDSA", "Ed25519"}
	p256Algs  = []string{"ES256"}
	p384Algs  = []string{"ES384"}
	p521Algs  = []string{"ES512"}
)

// curveAlgs are the algorithms an EC key on the named curve allows.
func curveAlgs(curve string) []string {
	switch curve {
	case "P-256":
		return p256Algs
	case "P-384":
		return p384Algs
	case "P-521":
		return p521Algs
	}
	return nil
}

func algNames(keep func(algInfo) bool) []string {
	var out []string
	for _, a := range algTable {
		if keep(a) {
			out = append(out, a.name)
		}
	}
	return out
}

// KnownAlgs lists the algorithms jwtrace verifies.
func KnownAlgs() []string { return append([]string(nil), knownAlgs...) }

func knownAlg(a string) bool { return lookupAlg(a) != nil }

func lookupAlg(name string) *algInfo {
	for i := range algTable {
		if algTable[i].name == name {
			return &algTable[i]
		}
	}
	return nil
}

// hmacBytes is an HMAC algorithm's hash size, or 0.
func hmacBytes(alg string) int {
	if a := lookupAlg(alg); a != nil {
		return a.hashBytes
	}
	return 0
}
