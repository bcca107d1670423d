// Package decode turns what people paste into tokens, and tokens into a
// structured, diagnosed view: header and claims in their own key order, typed
// times, status and diagnostics.
//
// Decoding never verifies a signature; that is package verify's job. It is
// pure: no network, no terminal, and no clock other than the one passed in.
package decode

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind is the serialization of a token.
type Kind string

const (
	KindJWS       Kind = "JWS"       // signed (compact serialization, three parts)
	KindJWE       Kind = "JWE"       // encrypted (compact serialization, five parts)
	KindUnsecured Kind = "unsecured" // alg "none": no integrity protection at all
)

// Status says whether the token's times allow it to be used at the moment
// of evaluation. It never says anything about the signature.
type Status string

const (
	StatusValid       Status = "valid"         // nbf (if any) passed, exp in the future
	StatusExpired     Status = "expired"       // exp is in the past
	StatusNotYetValid Status = "not_yet_valid" // nbf is in the future
	StatusNoExpiry    Status = "no_expiry"     // no usable exp claim
	StatusEncrypted   Status = "encrypted"     // JWE: the claims cannot be read
	StatusMalformed   Status = "malformed"     // the claims could not be decoded
)

// Token is the decoded view of one token.
type Token struct {
	// Source says where in the input the token was found ("input",
	// "id_token", "Authorization header", ...).
	Source string `json:"source"`
	Kind   Kind   `json:"kind"`
	Header Object `json:"header"`
	// Claims is the decoded payload; nil for a JWE or a payload that is not
	// a JSON object.
	Claims *Object `json:"claims"`
	// Payload holds a payload that is not a JSON object, as text (for a
	// nested JWT, the inner token is in Nested instead).
	Payload   *string    `json:"payload,omitempty"`
	Signature *Signature `json:"signature,omitempty"`
	// Encryption describes a JWE's algorithms; nil for a JWS.
	Encryption *Encryption `json:"encryption,omitempty"`
	Times      []Time      `json:"times"`
	Lifetime   *Duration   `json:"lifetime"`
	Status     Status      `json:"status"`
	// StatusText is Status as a sentence with a relative time, such as
	// "valid for 47m more" or "expired 3h12m ago".
	StatusText  string       `json:"status_text"`
	Diagnostics []Diagnostic `json:"diagnostics"`
	// Provider is the identity provider recognised from the issuer and
	// claims; empty when none was.
	Provider Provider `json:"provider,omitempty"`
	// Use is what the token is for (id_token, access_token, refresh_token,
	// logout_token), from the issuer's own signals; empty when unclear.
	Use Use `json:"use,omitempty"`
	// Nested is the inner token of a nested JWT (cty "JWT").
	Nested *Token `json:"nested,omitempty"`

	// Evaluated is the moment the times were evaluated against.
	Evaluated time.Time `json:"evaluated_at"`
}

// tokenFields is Token without its MarshalJSON.
type tokenFields Token

// MarshalJSON writes the token with an "explain" object: what jwtrace says
// about each header parameter and claim it knows, and a "delegation"
// object when it has act or may_act (see Delegation). They are computed
// here, not while decoding, so that decoding stays cheap.
func (t *Token) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		*tokenFields
		Explain    *Explanations `json:"explain,omitempty"`
		Delegation *Delegation   `json:"delegation,omitempty"`
	}{(*tokenFields)(t), t.Explanations(), t.Delegation()})
}

// Signature summarises the third part of a JWS.
type Signature struct {
	Alg string `json:"alg"`
	Kid string `json:"kid,omitempty"`
	// Bytes is the decoded length of the signature.
	Bytes int `json:"bytes"`
	// ExpectedBytes is the length the algorithm produces, where it is fixed
	// (HMAC, ECDSA, EdDSA); 0 when it depends on the key (RSA).
	ExpectedBytes int `json:"expected_bytes,omitempty"`
}

// Encryption summarises a JWE.
type Encryption struct {
	Alg string `json:"alg"`
	Enc string `json:"enc"`
	Kid string `json:"kid,omitempty"`
	// Ciphertext is the decoded length of the ciphertext.
	Ciphertext int `json:"ciphertext_bytes"`
}

// Duration is a span of time with a human form.
type Duration struct {
	Seconds int64  `json:"seconds"`
	Human   string `json:"human"`
}

// Time is one NumericDate claim.
type Time struct {
	Claim string `json:"claim"`
	Unix  int64  `json:"unix"`
	// UTC is the time in RFC 3339, UTC.
	UTC string `json:"utc"`
	// Relative says the time relative to the evaluation moment, phrased for
	// the claim: "expires in 12m", "expired 3h ago", "issued 48m ago".
	Relative string `json:"relative"`
	// Delta is the time minus the evaluation moment, in seconds.
	Delta int64 `json:"delta_seconds"`
	// Meaning is a short name of what the claim means ("expiry").
	Meaning string `json:"meaning"`
	// Member is the index of the claim in Claims.Members.
	Member int `json:"-"`
}

// At returns the time as a time.Time.
func (t Time) At() time.Time { return time.Unix(t.Unix, 0).UTC() }

// Options control decoding.
type Options struct {
	// Now is the moment the token's times are evaluated against.
	Now time.Time
}

// maxNested bounds how many levels of nested JWTs are decoded.
const maxNested = 4

// Error is a token that could not be decoded at all: its shape or header is
// wrong. Code is one of the diagnostic codes.
type Error struct {
	Source string
	Code   string
	Msg    string
}

func (e *Error) Error() string {
	if e.Source != "" && e.Source != "input" {
		return e.Source + ": " + e.Msg
	}
	return e.Msg
}

// Parse decodes one compact token. It returns an *Error when the token's
// shape or header cannot be decoded; problems further in (claims,
// signature) are reported as diagnostics on the returned token, whose Status
// is then StatusMalformed.
func Parse(compact string, source string, opts Options) (*Token, error) {
	return parse(compact, source, opts, 0)
}

func parse(compact, source string, opts Options, level int) (*Token, error) {
	fail := func(code, format string, args ...any) (*Token, error) {
		return nil, &Error{Source: source, Code: code, Msg: fmt.Sprintf(format, args...)}
	}
	if len(compact) > MaxTokenBytes {
		return fail(CodeTooLarge, "the token is %d bytes; jwtrace decodes tokens up to %d bytes", len(compact), MaxTokenBytes)
	}
	parts := strings.Split(compact, ".")
	if len(parts) != 3 && len(parts) != 5 {
		return fail(CodeParts, "%s", partsMessage(compact, len(parts)))
	}
	t := &Token{Source: source, Evaluated: opts.Now.UTC(), Times: []Time{}, Diagnostics: []Diagnostic{}}
	names := []string{"header", "payload", "signature"}
	if len(parts) == 5 {
		names = []string{"header", "encrypted key", "initialization vector", "ciphertext", "authentication tag"}
	}

	// The header decides everything else; without it there is no token.
	hdrBytes, err := t.segment(parts[0], names[0])
	if err != nil {
		return fail(CodeBase64, "the token's header is not base64url: %v", err)
	}
	hdr, dups, err := parseObject(hdrBytes)
	if err != nil {
		code := CodeHeaderJSON
		if oe, ok := err.(*objectError); ok && oe.Kind == "depth" {
			code = CodeTooDeep
		}
		if !utf8.Valid(hdrBytes) || looksBinary(hdrBytes) {
			return fail(code, "the token's header is not JSON (it decodes to %d bytes of binary data); this is probably not a JWT", len(hdrBytes))
		}
		return fail(code, "the token's header is not a JSON object: %v (header text: %s)", err, excerpt(hdrBytes, 80))
	}
	t.Header = *hdr
	for _, d := range dups {
		t.diag(SevError, CodeDuplicateKey, "the header has the key %q more than once; verifiers disagree on which one wins, so a verifier must reject it", d)
	}
	if !utf8.Valid(hdrBytes) {
		t.diag(SevWarning, CodeInvalidUTF8, "the header contains bytes that are not UTF-8")
	}
	alg, hasAlg := t.Header.String("alg")
	if !hasAlg {
		if _, present := t.Header.Get("alg"); present {
			t.diag(SevError, CodeNoAlg, "the header's alg is not a string")
		} else {
			t.diag(SevError, CodeNoAlg, "the header has no alg; every JWS and JWE header must name its algorithm")
		}
	}

	if len(parts) == 5 {
		t.parseJWE(parts, names, alg)
		t.checkHeader()
		return t, nil
	}

	if strings.EqualFold(alg, "none") {
		t.Kind = KindUnsecured
		written := ""
		if alg != "none" {
			written = fmt.Sprintf(" (written %q)", alg)
		}
		t.diag(SevError, CodeAlgNone, "alg is none%s: the token is unsecured, anyone can write one, and no verifier should accept it", written)
	} else {
		t.Kind = KindJWS
	}

	// Signature.
	sig, sigErr := t.segment(parts[2], names[2])
	kid, _ := t.Header.String("kid")
	t.Signature = &Signature{Alg: alg, Kid: kid, Bytes: len(sig), ExpectedBytes: expectedSigBytes(alg)}
	if sigErr != nil {
		if n := len(strings.TrimRight(parts[2], "=")); n%4 == 1 {
			// The last part is where a cut-off token loses characters.
			t.diag(SevError, CodeBase64, "the signature is %d characters, a length no base64 text has: the token looks truncated (cut off when it was copied or logged)", n)
		} else {
			t.diag(SevError, CodeBase64, "the signature is not base64url: %v", sigErr)
		}
	}
	t.checkSignature(parts[2])

	// Payload.
	payload, perr := t.segment(parts[1], names[1])
	if perr != nil {
		t.diag(SevError, CodeBase64, "the payload is not base64url: %v", perr)
		t.Status = StatusMalformed
		t.StatusText = "claims could not be decoded"
		t.checkHeader()
		return t, nil
	}
	t.checkHeader()
	t.parsePayload(payload, opts, level)
	return t, nil
}

func (t *Token) parseJWE(parts, names []string, alg string) {
	t.Kind = KindJWE
	enc, _ := t.Header.String("enc")
	kid, _ := t.Header.String("kid")
	if enc == "" {
		t.diag(SevError, CodeNoEnc, "the token has five parts like a JWE, but its header has no enc")
	}
	ct := 0
	for i := 1; i < 5; i++ {
		b, err := t.segment(parts[i], names[i])
		if err != nil {
			t.diag(SevError, CodeBase64, "the %s is not base64url: %v", names[i], err)
		}
		if i == 3 {
			ct = len(b)
		}
		if i >= 2 && parts[i] == "" {
			t.diag(SevError, CodeJWEPart, "the %s is empty; every JWE has one", names[i])
		}
	}
	t.Encryption = &Encryption{Alg: alg, Enc: enc, Kid: kid, Ciphertext: ct}
	t.Status = StatusEncrypted
	t.StatusText = "encrypted: the claims can only be read with the recipient's key"
	if t.HasErrors() {
		t.Status, t.StatusText = StatusMalformed, "a damaged JWE: see the notes"
	}
	msg := "the payload is encrypted (JWE); only the intended recipient can read the claims"
	if cty, _ := t.Header.String("cty"); strings.EqualFold(cty, "JWT") {
		msg += "; it holds a nested JWT (cty JWT), which is signed inside the encryption"
	}
	t.diag(SevInfo, CodeEncrypted, "%s", msg)
}

func (t *Token) parsePayload(payload []byte, opts Options, level int) {
	cty, _ := t.Header.String("cty")
	trimmed := bytes.TrimSpace(payload)
	if strings.EqualFold(cty, "JWT") && len(trimmed) > 0 && trimmed[0] != '{' {
		inner := string(trimmed)
		t.Payload = nil
		t.Status = StatusValid
		if level >= maxNested {
			t.diag(SevError, CodeTooDeep, "nested JWTs go more than %d levels deep", maxNested)
			t.Status, t.StatusText = StatusMalformed, "nested too deep"
			return
		}
		n, err := parse(inner, "nested", opts, level+1)
		if err != nil {
			t.diag(SevError, CodeNested, "cty is JWT but the payload is not a decodable JWT: %v", err)
			t.Status, t.StatusText = StatusMalformed, "the nested token could not be decoded"
			return
		}
		t.Nested = n
		t.Status, t.StatusText = n.Status, "nested token: "+n.StatusText
		t.diag(SevInfo, CodeNested, "nested JWT (cty JWT): the payload is another token, decoded below")
		return
	}
	obj, dups, err := parseObject(payload)
	if err != nil {
		code := CodeClaimsJSON
		if oe, ok := err.(*objectError); ok && oe.Kind == "depth" {
			code = CodeTooDeep
		}
		text := excerpt(payload, 200)
		t.Payload = &text
		t.diag(SevError, code, "the claims are not a JSON object: %v", err)
		t.Status, t.StatusText = StatusMalformed, "claims could not be decoded"
		return
	}
	if !utf8.Valid(payload) {
		t.diag(SevWarning, CodeInvalidUTF8, "the claims contain bytes that are not UTF-8")
	}
	t.Claims = obj
	for _, d := range dups {
		t.diag(SevError, CodeDuplicateKey, "the claims have the key %q more than once; libraries disagree on which one wins, so a verifier must reject it (jwtrace's times use the last one, as JSON.parse and Go do)", d)
	}
	t.evaluateTimes(opts.Now)
	t.checkClaims()
}

// segment decodes one base64url part leniently (padding and the standard
// alphabet are accepted but reported).
func (t *Token) segment(s, name string) ([]byte, error) {
	if strings.ContainsRune(s, '=') {
		t.diag(SevWarning, CodePadded, "the %s has base64 padding (=); JWTs use unpadded base64url (RFC 7515 section 2), and strict libraries reject it", name)
		s = strings.TrimRight(s, "=")
	}
	if strings.ContainsAny(s, "+/") {
		t.diag(SevWarning, CodeStdAlphabet, "the %s uses the standard base64 alphabet (+ or /) instead of base64url (- and _); strict libraries reject it", name)
		s = strings.NewReplacer("+", "-", "/", "_").Replace(s)
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, base64Error(s, err)
	}
	return b, nil
}

func base64Error(s string, err error) error {
	if ce, ok := err.(base64.CorruptInputError); ok {
		i := int(ce)
		if i < len(s) {
			r, _ := utf8.DecodeRuneInString(s[i:])
			if strings.ContainsRune("=", r) {
				return fmt.Errorf("padding in the middle, at character %d", i)
			}
			if !isB64(byte(r)) {
				return fmt.Errorf("character %q at position %d is not base64url", r, i)
			}
		}
		if len(s)%4 == 1 {
			return fmt.Errorf("length %d is impossible for base64 (truncated?)", len(s))
		}
		return fmt.Errorf("invalid at position %d", i)
	}
	return err
}

func isB64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

func looksBinary(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return true
		}
	}
	return false
}

func partsMessage(s string, n int) string {
	dots := n - 1
	switch {
	case dots == 0:
		return "the token has no dots; a JWT has three base64url parts separated by two dots"
	case dots == 1:
		return "the token has 2 parts (one dot); a JWS has 3 parts and a JWE 5 — the token looks truncated or its signature was cut off"
	case dots == 3:
		return "the token has 4 parts (three dots); a JWS has 3 parts and a JWE 5 — two tokens run together, or one is damaged"
	default:
		return fmt.Sprintf("the token has %d parts; a JWS has 3 parts and a JWE 5", n)
	}
}

// expectedSigBytes is the fixed signature length of an algorithm, or 0.
func expectedSigBytes(alg string) int {
	switch alg {
	case "HS256":
		return 32
	case "HS384":
		return 48
	case "HS512":
		return 64
	case "ES256", "ES256K":
		return 64
	case "ES384":
		return 96
	case "ES512":
		return 132
	case "EdDSA", "Ed25519":
		return 64
	case "Ed448":
		return 114
	}
	return 0
}
