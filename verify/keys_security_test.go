package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tests for the key-handling findings of the security review and of
// issue 20. Each builds its keys here; files go to t.TempDir().

var (
	weakOnce sync.Once
	rsa1024  *rsa.PrivateKey
)

func weakRSA(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	weakOnce.Do(func() {
		var err error
		if rsa1024, err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
			panic(err)
		}
	})
	return rsa1024
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkixPEM(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf("PUBLIC KEY", der)
}

func bigB64(n *big.Int) string { return b64.EncodeToString(n.Bytes()) }

// privateRSAJWK is a JWK of k with every private member.
func privateRSAJWK(kid string, k *rsa.PrivateKey) map[string]any {
	k.Precompute()
	return map[string]any{"kty": "RSA", "kid": kid, "n": bigB64(k.N), "e": "AQAB",
		"d": bigB64(k.D), "p": bigB64(k.Primes[0]), "q": bigB64(k.Primes[1]),
		"dp": bigB64(k.Precomputed.Dp), "dq": bigB64(k.Precomputed.Dq), "qi": bigB64(k.Precomputed.Qinv)}
}

func ecJWK(kid string, k *ecdsa.PrivateKey) map[string]any {
	return map[string]any{"kty": "EC", "crv": "P-256", "kid": kid,
		"x": b64.EncodeToString(k.X.FillBytes(make([]byte, 32))), "y": b64.EncodeToString(k.Y.FillBytes(make([]byte, 32)))}
}

func jwksOf(t *testing.T, keys ...map[string]any) []byte {
	t.Helper()
	return rawJSON(t, map[string]any{"keys": keys})
}

// cert makes a certificate for pub with the given common name, signed by
// parent (nil: self-signed with priv).
func cert(t *testing.T, cn string, pub any, priv crypto.Signer, parent *x509.Certificate, ca bool) *x509.Certificate {
	t.Helper()
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(24 * time.Hour),
		IsCA: ca, BasicConstraintsValid: true}
	if ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign
	}
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func signES256(t *testing.T, k *ecdsa.PrivateKey, header map[string]any) string {
	return sign(t, k, header, claims(nil))
}

func TestPublishedPrivateKeysAreRefused(t *testing.T) {
	testKeys(t)
	edJWK := map[string]any{"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": b64.EncodeToString(edPub), "d": b64.EncodeToString(edKey.Seed())}
	ecPriv := ecJWK("ec", ecKey)
	ecPriv["d"] = b64.EncodeToString(ecKey.D.FillBytes(make([]byte, 32)))
	onlyP := jwkOf("p-only")
	onlyP["p"] = bigB64(rsaKey.Primes[0])
	cases := []struct {
		name string
		jwk  map[string]any
		tok  string
	}{
		{"an RSA key with d, p, q, dp, dq and qi", privateRSAJWK("k1", rsaKey), sign(t, rsaKey, rsHeader("k1"), claims(nil))},
		{"an RSA key with only p", onlyP, sign(t, rsaKey, rsHeader("p-only"), claims(nil))},
		{"an EC key with d", ecPriv, signES256(t, ecKey, map[string]any{"alg": "ES256", "kid": "ec"})},
		{"an Ed25519 key with d", edJWK, sign(t, edKey, map[string]any{"alg": "EdDSA", "kid": "ed"}, claims(nil))},
	}
	for _, c := range cases {
		t.Run("a fetched JWKS with "+c.name+" contributes no key", func(t *testing.T) {
			keys, notes, err := ParseKeys(jwksOf(t, c.jwk), "https://idp.example/keys", false)
			if err != nil || len(keys) != 0 || len(notes) != 1 || !strings.Contains(notes[0], "private key material") {
				t.Fatalf("keys %+v, notes %q, err %v", keys, notes, err)
			}
			r := newVerifier(baseRules(), keys...).Verify(bg, c.tok)
			if r.Valid {
				t.Fatal("a token signed with the published private key verified")
			}
		})
		t.Run("a local JWKS document with "+c.name+" contributes no key", func(t *testing.T) {
			keys, notes, err := ParseKeys(jwksOf(t, c.jwk), "keys.json", true)
			if err != nil || len(keys) != 0 || len(notes) != 1 || !strings.Contains(notes[0], "private key material") {
				t.Fatalf("keys %+v, notes %q, err %v", keys, notes, err)
			}
		})
		t.Run("a fetched bare JWK with "+c.name+" is refused", func(t *testing.T) {
			keys, notes, _ := ParseKeys(rawJSON(t, c.jwk), "https://idp.example/key", false)
			if len(keys) != 0 || len(notes) != 1 || !strings.Contains(notes[0], "private key material") {
				t.Fatalf("keys %+v, notes %q", keys, notes)
			}
		})
	}
	t.Run("a JWKS served over HTTP with a private key verifies nothing", func(t *testing.T) {
		p := newIDP(t, func(p *idp) { p.keys.Store([]map[string]any{privateRSAJWK("k1", rsaKey)}) })
		ks, origin, err := fetcherFor(t, false, nil).LoadKeys(bg, Sources{JWKSURL: p.URL + "/keys"})
		if err != nil {
			t.Fatal(err)
		}
		if len(origin.Keys) != 0 || len(origin.Notes) != 1 || !strings.Contains(origin.Notes[0], "private key material") {
			t.Fatalf("keys %+v, notes %q", origin.Keys, origin.Notes)
		}
		if r := (&Verifier{Keys: ks, Rules: baseRules()}).Verify(bg, sign(t, rsaKey, rsHeader("k1"), claims(nil))); r.Valid {
			t.Fatal("forged token VALID")
		}
	})
	t.Run("the user's own private JWK file (one key, not a set) still verifies", func(t *testing.T) {
		path := writeFile(t, "me.jwk", rawJSON(t, privateRSAJWK("k1", rsaKey)))
		keys, err := LoadKeyFile(path)
		if err != nil {
			t.Fatal(err)
		}
		mustPass(t, newVerifier(baseRules(), keys...).Verify(bg, sign(t, rsaKey, rsHeader("k1"), claims(nil))))
		if _, ok := keys[0].Public.(*rsa.PublicKey); !ok {
			t.Fatalf("the key is a %T, want only its public half", keys[0].Public)
		}
	})
	t.Run("the user's own private PEM key file still verifies", func(t *testing.T) {
		der, _ := x509.MarshalPKCS8PrivateKey(ecKey)
		path := writeFile(t, "me.pem", pemOf("PRIVATE KEY", der))
		keys, err := LoadKeyFile(path)
		if err != nil {
			t.Fatal(err)
		}
		mustPass(t, newVerifier(baseRules(), keys...).Verify(bg, signES256(t, ecKey, map[string]any{"alg": "ES256"})))
		path = writeFile(t, "rsa.pem", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)))
		if keys, err = LoadKeyFile(path); err != nil {
			t.Fatal(err)
		}
		mustPass(t, newVerifier(baseRules(), keys...).Verify(bg, sign(t, rsaKey, map[string]any{"alg": "RS256"}, claims(nil))))
	})
}

func TestSecretsThatAreKeysAreRefused(t *testing.T) {
	testKeys(t)
	pkix, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	ecDER, _ := x509.MarshalECPrivateKey(ecKey)
	edPKIX, _ := x509.MarshalPKIXPublicKey(edPub)
	c := cert(t, "idp.example", &rsaKey.PublicKey, rsaKey, nil, false)
	forms := map[string][]byte{
		"a PEM public key":                    pemOf("PUBLIC KEY", pkix),
		"a PEM public key with a CRLF":        []byte(strings.ReplaceAll(string(pemOf("PUBLIC KEY", pkix)), "\n", "\r\n")),
		"a PEM certificate":                   pemOf("CERTIFICATE", c.Raw),
		"a DER public key":                    pkix,
		"a DER certificate":                   c.Raw,
		"a DER PKCS #1 public key":            x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey),
		"a DER PKCS #1 private key":           x509.MarshalPKCS1PrivateKey(rsaKey),
		"a DER PKCS #8 private key":           pkcs8,
		"a DER EC private key":                ecDER,
		"a base64 public key (PEM body)":      []byte(base64.StdEncoding.EncodeToString(pkix)),
		"a JWK":                               rawJSON(t, jwkOf("k1")),
		"a base64 Ed25519 public key":         []byte(base64.StdEncoding.EncodeToString(edPKIX)),
		"a JWKS":                              jwksOf(t, jwkOf("k1")),
		"an OpenSSH public key":               []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ user@host"),
		"a {kid: certificate} map (Firebase)": rawJSON(t, map[string]string{"abc": string(pemOf("CERTIFICATE", c.Raw))}),
	}
	for name, secret := range forms {
		t.Run("--secret @FILE holding "+name+" is refused", func(t *testing.T) {
			path := writeFile(t, "secret", secret)
			_, _, err := ReadSecret("@"+path, nil)
			if err == nil {
				t.Fatal("accepted: an HS256 token forged with these bytes would verify")
			}
			if !strings.Contains(err.Error(), "key confusion") || !strings.Contains(err.Error(), "--key") {
				t.Fatalf("error %q does not say why or what to do", err)
			}
		})
	}
	t.Run("a PEM literal and an environment variable are refused too", func(t *testing.T) {
		p := string(pemOf("PUBLIC KEY", pkix))
		if _, _, err := ReadSecret(p, nil); err == nil {
			t.Fatal("PEM literal accepted")
		}
		if _, _, err := ReadSecret("env:K", func(string) string { return p }); err == nil {
			t.Fatal("PEM from the environment accepted")
		}
	})
	t.Run("a library caller's Sources.Secret is checked as well", func(t *testing.T) {
		_, _, err := fetcherFor(t, false, nil).LoadKeys(bg, Sources{Secret: pemOf("PUBLIC KEY", pkix), SecretSource: "test"})
		if err == nil || !strings.Contains(err.Error(), "key confusion") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("ordinary secrets are still accepted", func(t *testing.T) {
		for _, s := range []string{"0123456789abcdef0123456789abcdef", "00" + strings.Repeat("0", 48), `{"not":"a key"}`, base64.StdEncoding.EncodeToString([]byte(strings.Repeat("s", 40)))} {
			if _, _, err := ReadSecret(s, nil); err != nil {
				t.Errorf("%q: %v", s, err)
			}
		}
	})
	t.Run("an HS256 token checked with a public key does not point at --secret", func(t *testing.T) {
		tok := sign(t, pemOf("PUBLIC KEY", pkix), map[string]any{"alg": "HS256"}, claims(nil))
		r := newVerifier(baseRules(), Key{Type: "RSA", Detail: "RSA 2048", Source: "rsa-public.pem", Public: &rsaKey.PublicKey}).Verify(bg, tok)
		mustFail(t, r, CheckKey, "key confusion")
		c := check(t, r, CheckKey)
		if strings.Contains(c.Detail+c.Hint, "--secret") {
			t.Fatalf("detail %q / hint %q points the user at --secret", c.Detail, c.Hint)
		}
	})
}

// fakeRSA is a public key of the given size. It need not be a real key:
// jwtrace must refuse it for its size before doing any math with it.
func fakeRSA(bits, e int) *rsa.PublicKey {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), uint(bits-1)))
	n.SetBit(n, bits-1, 1).SetBit(n, 0, 1)
	return &rsa.PublicKey{N: n, E: e}
}

func TestRSAKeySizeAndExponentLimits(t *testing.T) {
	huge := fakeRSA(16400, 65537)
	bigJWK := map[string]any{"kty": "RSA", "kid": "big", "n": bigB64(huge.N), "e": "AQAB"}
	t.Run("a fetched JWKS with an RSA key above 16384 bits", func(t *testing.T) {
		keys, notes, err := ParseKeys(jwksOf(t, bigJWK), "https://idp.example/keys", false)
		if err != nil || len(keys) != 0 || len(notes) != 1 || !strings.Contains(notes[0], "RSA 16400") || !strings.Contains(notes[0], "16384") {
			t.Fatalf("keys %d, notes %q, err %v", len(keys), notes, err)
		}
	})
	t.Run("a local PEM public key above 16384 bits", func(t *testing.T) {
		_, err := LoadKeyFile(writeFile(t, "big.pem", pkixPEM(t, huge)))
		if err == nil || !strings.Contains(err.Error(), "RSA 16400") || !strings.Contains(err.Error(), "16384") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("a local PEM private key above 16384 bits is refused before it is parsed", func(t *testing.T) {
		// A structurally valid PKCS #1 private key (RFC 8017 A.1.2) with a
		// 20000-bit modulus; its other numbers are junk.
		one := new(big.Int).SetInt64(1)
		n := fakeRSA(20000, 65537).N
		der, err := asn1.Marshal(struct {
			V                     int
			N                     *big.Int
			E                     int
			D, P, Q, Dp, Dq, Qinv *big.Int
		}{0, n, 65537, n, one, one, one, one, one})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = LoadKeyFile(writeFile(t, "big-private.pem", pemOf("RSA PRIVATE KEY", der)))
		if err == nil || !strings.Contains(err.Error(), "RSA 20000") || time.Since(start) > 2*time.Second {
			t.Fatalf("err %v after %v", err, time.Since(start))
		}
	})
	t.Run("a public exponent Go's crypto/rsa cannot verify with", func(t *testing.T) {
		testKeys(t)
		k := jwkOf("bige")
		k["e"] = b64.EncodeToString(big.NewInt(1<<31 + 1).Bytes())
		keys, notes, _ := ParseKeys(jwksOf(t, k), "https://idp.example/keys", false)
		if len(keys) != 0 || len(notes) != 1 || !strings.Contains(notes[0], "exponent") {
			t.Fatalf("keys %d, notes %q", len(keys), notes)
		}
	})
}

func TestX5cMustMatchTheKey(t *testing.T) {
	testKeys(t)
	other := cert(t, "other.example", &rsaKey2.PublicKey, rsaKey2, nil, false)
	mine := cert(t, "idp.example", &rsaKey.PublicKey, rsaKey, nil, false)
	x5c := func(k map[string]any, c *x509.Certificate) map[string]any {
		k["x5c"] = []string{base64.StdEncoding.EncodeToString(c.Raw)}
		return k
	}
	t.Run("an RSA key whose certificate holds another key", func(t *testing.T) {
		keys, notes, _ := ParseKeys(jwksOf(t, x5c(jwkOf("k1"), other)), "https://idp.example/keys", false)
		if len(keys) != 0 || len(notes) != 1 || !strings.Contains(notes[0], "x5c") || !strings.Contains(notes[0], "disagree") {
			t.Fatalf("keys %d, notes %q", len(keys), notes)
		}
	})
	t.Run("an EC key whose certificate holds another key", func(t *testing.T) {
		keys, notes, _ := ParseKeys(jwksOf(t, x5c(ecJWK("ec", ecKey), other)), "https://idp.example/keys", false)
		if len(keys) != 0 || len(notes) != 1 || !strings.Contains(notes[0], "disagree") {
			t.Fatalf("keys %d, notes %q", len(keys), notes)
		}
	})
	t.Run("a key whose certificate matches is used", func(t *testing.T) {
		keys, notes, err := ParseKeys(jwksOf(t, x5c(jwkOf("k1"), mine)), "https://idp.example/keys", false)
		if err != nil || len(keys) != 1 {
			t.Fatalf("keys %d, notes %q, err %v", len(keys), notes, err)
		}
	})
}

func TestCertificateChainUsesTheLeafOnly(t *testing.T) {
	testKeys(t)
	root := cert(t, "Example Root CA", &rsaKey2.PublicKey, rsaKey2, nil, true)
	inter := cert(t, "Example Issuing CA", &ecKey.PublicKey, rsaKey2, root, true)
	leaf := cert(t, "idp.example", &rsaKey.PublicKey, ecKey, inter, false)
	chain := append(append(pemOf("CERTIFICATE", leaf.Raw), pemOf("CERTIFICATE", inter.Raw)...), pemOf("CERTIFICATE", root.Raw)...)
	path := writeFile(t, "chain.pem", chain)
	keys, err := LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 {
		t.Fatalf("%d keys from a chain, want the leaf's only: %+v", len(keys), keys)
	}
	if d := keys[0].Detail; !strings.Contains(d, "idp.example") || !strings.Contains(d, "2 other certificates") || !strings.Contains(d, "not used as signers") {
		t.Fatalf("detail %q does not say which certificate signs and that the others do not", d)
	}
	v := newVerifier(baseRules(), keys...)
	mustPass(t, v.Verify(bg, sign(t, rsaKey, map[string]any{"alg": "RS256"}, claims(nil))))
	if r := v.Verify(bg, sign(t, rsaKey2, map[string]any{"alg": "RS256"}, claims(nil))); r.Valid {
		t.Fatal("a token signed with the root CA's key verified")
	}
	if r := v.Verify(bg, signES256(t, ecKey, map[string]any{"alg": "ES256"})); r.Valid {
		t.Fatal("a token signed with the intermediate CA's key verified")
	}
}

func TestGraphTokenWithANonceHeader(t *testing.T) {
	testKeys(t)
	// Graph signs the header with the nonce's SHA-256 in it, then hands
	// out the token with the nonce itself: the signature cannot verify.
	nonce := "yWXg3qzRn6bQz0UPLb-8Jv5PZ1hHRz2X"
	sum := sha256.Sum256([]byte(nonce))
	signed := sign(t, rsaKey, map[string]any{"alg": "RS256", "kid": "k1", "nonce": b64.EncodeToString(sum[:])}, claims(map[string]any{"aud": "https://graph.microsoft.com"}))
	parts := strings.SplitN(signed, ".", 3)
	hdr := b64.EncodeToString(rawJSON(t, map[string]any{"alg": "RS256", "kid": "k1", "nonce": nonce}))
	tok := hdr + "." + parts[1] + "." + parts[2]
	r := newVerifier(baseRules(), rsaPublic("k1", rsaKey)).Verify(bg, tok)
	mustFail(t, r, CheckSignature, "Graph")
	c := check(t, r, CheckSignature)
	if !strings.Contains(c.Detail+c.Hint, "SHA-256") || strings.Contains(c.Detail+c.Hint, "altered after signing") {
		t.Fatalf("detail %q / hint %q", c.Detail, c.Hint)
	}
}

func TestRefusedLocalKeysAreNamed(t *testing.T) {
	testKeys(t)
	weak := weakRSA(t)
	weakJWK := map[string]any{"kty": "RSA", "kid": "old", "n": bigB64(weak.N), "e": "AQAB"}
	path := writeFile(t, "keys.json", jwksOf(t, jwkOf("k1"), weakJWK))
	ks, origin, err := fetcherFor(t, false, nil).LoadKeys(bg, Sources{KeyFiles: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	if len(origin.Keys) != 1 || len(origin.Notes) != 1 || !strings.Contains(origin.Notes[0], `"old"`) || !strings.Contains(origin.Notes[0], "RSA 1024") {
		t.Fatalf("keys %+v, notes %q: the left-out key must be named", origin.Keys, origin.Notes)
	}
	v := &Verifier{Keys: ks, Rules: baseRules()}
	r := v.Verify(bg, sign(t, weak, rsHeader("old"), claims(nil)))
	want := `kid "old" is in ` + path + ` but was refused: RSA 1024; RFC 7518 §3.3 requires at least 2048 bits`
	mustFail(t, r, CheckKey, want)
	if c := check(t, r, CheckKey); strings.Contains(c.Detail+c.Hint, "not found") || strings.Contains(c.Detail+c.Hint, "tenant") {
		t.Fatalf("detail %q / hint %q still says not found", c.Detail, c.Hint)
	}
	// A kid in no file is still "not found", and refused keys are not
	// listed as if usable.
	r = v.Verify(bg, sign(t, rsaKey, rsHeader("nope"), claims(nil)))
	mustFail(t, r, CheckKey, `kid "nope" not found`)
	if c := check(t, r, CheckKey); !strings.Contains(c.Detail, "(keys: k1)") {
		t.Fatalf("detail %q", c.Detail)
	}
	mustPass(t, v.Verify(bg, sign(t, rsaKey, rsHeader("k1"), claims(nil))))
}

func TestWeakPEMKeyMessage(t *testing.T) {
	_, err := LoadKeyFile(writeFile(t, "weak.pem", pkixPEM(t, &weakRSA(t).PublicKey)))
	if err == nil || !strings.Contains(err.Error(), "RSA 1024; RFC 7518 §3.3 requires at least 2048 bits") {
		t.Fatalf("err %v", err)
	}
	for _, internal := range []string{"jwk.", "not a PEM public key", "modulus too small"} {
		if strings.Contains(err.Error(), internal) {
			t.Fatalf("err %q says %q", err, internal)
		}
	}
}

func TestTruncatedSignature(t *testing.T) {
	testKeys(t)
	tok := sign(t, rsaKey, rsHeader("k1"), claims(nil))
	i := strings.LastIndexByte(tok, '.')
	sig, _ := b64.DecodeString(tok[i+1:])
	tok = tok[:i+1] + b64.EncodeToString(sig[:202])
	r := newVerifier(baseRules(), rsaPublic("k1", rsaKey)).Verify(bg, tok)
	mustFail(t, r, CheckSignature, "the signature is 202 of 256 bytes: the token looks truncated")
	if c := check(t, r, CheckSignature); strings.Contains(c.Detail+c.Hint, "altered") {
		t.Fatalf("detail %q / hint %q blames tampering", c.Detail, c.Hint)
	}
}

func TestKeyLineNamesTheSourceOnce(t *testing.T) {
	testKeys(t)
	a := Key{Type: "RSA", Detail: "RSA 2048", Source: "a.pem", Public: &rsaKey.PublicKey}
	b := Key{Type: "RSA", Detail: "RSA 2048", Source: "b.pem", Public: &rsaKey2.PublicKey}
	r := newVerifier(baseRules(), a, b).Verify(bg, sign(t, rsaKey2, map[string]any{"alg": "RS256"}, claims(nil)))
	mustPass(t, r)
	if d := check(t, r, CheckKey).Detail; d != "RSA 2048 from b.pem" {
		t.Fatalf("key detail %q", d)
	}
}

func TestGoogleX509KeyMap(t *testing.T) {
	testKeys(t)
	c1 := cert(t, "securetoken.system.gserviceaccount.com", &rsaKey.PublicKey, rsaKey, nil, false)
	c2 := cert(t, "securetoken.system.gserviceaccount.com", &rsaKey2.PublicKey, rsaKey2, nil, false)
	doc, _ := json.Marshal(map[string]string{
		"abc123": string(pemOf("CERTIFICATE", c1.Raw)),
		"def456": string(pemOf("CERTIFICATE", c2.Raw)),
	})
	for _, local := range []bool{false, true} {
		keys, notes, err := ParseKeys(doc, "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com", local)
		if err != nil || len(keys) != 2 {
			t.Fatalf("local %v: keys %d, notes %q, err %v", local, len(keys), notes, err)
		}
		v := newVerifier(baseRules(), keys...)
		mustPass(t, v.Verify(bg, sign(t, rsaKey2, rsHeader("def456"), claims(nil))))
		mustFail(t, v.Verify(bg, sign(t, rsaKey2, rsHeader("abc123"), claims(nil))), CheckSignature, "does not verify")
	}
	t.Run("a map value that is not a certificate is refused with a note", func(t *testing.T) {
		doc, _ := json.Marshal(map[string]string{"abc123": string(pemOf("CERTIFICATE", c1.Raw)), "bad": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"})
		keys, notes, err := ParseKeys(doc, "https://idp.example/x509", false)
		if err != nil || len(keys) != 1 || len(notes) != 1 || !strings.Contains(notes[0], `"bad"`) {
			t.Fatalf("keys %d, notes %q, err %v", len(keys), notes, err)
		}
	})
	_ = ed25519.PublicKey(nil)
	_ = elliptic.P256
}

// A fetched JWKS's refused key is named too: a token that names it is told
// why, not that its kid "was not found … another authority or tenant".
func TestRefusedFetchedKeysAreNamed(t *testing.T) {
	testKeys(t)
	weak := weakRSA(t)
	weakJWK := map[string]any{"kty": "RSA", "kid": "old", "n": bigB64(weak.N), "e": "AQAB"}
	p := newIDP(t, func(p *idp) { p.keys.Store([]map[string]any{jwkOf("k1"), weakJWK}) })
	ks, origin, err := fetcherFor(t, false, nil).LoadKeys(bg, Sources{JWKSURL: p.URL + "/keys"})
	if err != nil {
		t.Fatal(err)
	}
	if len(origin.Keys) != 1 || len(origin.Notes) != 1 || !strings.Contains(origin.Notes[0], "RSA 1024") {
		t.Fatalf("keys %+v, notes %q", origin.Keys, origin.Notes)
	}
	v := &Verifier{Keys: ks, Rules: baseRules()}
	r := v.Verify(bg, sign(t, weak, rsHeader("old"), claims(nil)))
	mustFail(t, r, CheckKey, `kid "old" is in `+p.URL+`/keys but was refused: RSA 1024`)
	mustPass(t, v.Verify(bg, sign(t, rsaKey, rsHeader("k1"), claims(nil))))
}

// A DER key file whose last byte happens to be a newline (0x0a) is still a
// key: the trailing newline ReadSecret drops must not hide it. (An EC
// private key's DER ends with its public point, so one in 256 does.)
func TestADERKeyEndingInANewlineIsNotASecret(t *testing.T) {
	for i := 0; i < 20000; i++ {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		if der[len(der)-1] != '\n' {
			continue
		}
		if _, _, err := ReadSecret("@"+writeFile(t, "secret", der), nil); err == nil || !strings.Contains(err.Error(), "key confusion") {
			t.Fatalf("a DER private key ending in 0x0a was taken as a secret: %v", err)
		}
		return
	}
	t.Fatal("no key ending in 0x0a in 20000 tries")
}
