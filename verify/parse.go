package verify

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/lazy"
)

// token is what the format check reads from a compact JWS.
type token struct {
	header, claims *decode.Object
	alg, kid, typ  string
	// signingInput is "header.payload"; sig the decoded signature.
	signingInput []byte
	sig          []byte
}

// b64url is RFC 7515's base64url: no padding, and (Strict) no stray bits
// in the last character, so each token has exactly one encoding.
//
// A function, not a variable: Strict copies the encoding, which as a
// package variable would run at every start-up.
func b64url() *base64.Encoding { return b64urlStrict.Get(strictRawURL) }

var b64urlStrict lazy.Value[*base64.Encoding]

func strictRawURL() *base64.Encoding {
	e := base64.RawURLEncoding.Strict()
	return e
}

// parseToken is the format check: a compact JWS with a JSON header and
// claims, no duplicate keys, an alg that is not "none", no critical
// extensions and base64url payload encoding.
func parseToken(compact string, anyPayload bool) (*token, Check) {
	fail := func(code Code, params Params, advice ...Advice) (*token, Check) {
		return nil, Check{Name: CheckFormat, Status: Fail, Code: code, Params: params, Advice: advice}
	}
	if len(compact) > decode.MaxTokenBytes {
		return fail(CodeFormatTooLarge, Params{{"bytes", strconv.Itoa(len(compact))}, {"max", strconv.Itoa(decode.MaxTokenBytes)}})
	}
	// Split on the first two dots; a third means more parts. (Cheaper than
	// counting every dot of a long token first.)
	h, rest, ok1 := strings.Cut(compact, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.IndexByte(s, '.') >= 0 {
		switch dots := strings.Count(compact, "."); dots {
		case 4:
			return fail(CodeFormatJWE, nil, Advice{Code: AdviceDecrypt})
		case 1:
			return fail(CodeFormatTwoParts, nil, Advice{Code: AdviceTokenCut})
		default:
			return fail(CodeFormatParts, Params{{"parts", strconv.Itoa(dots + 1)}})
		}
	}
	hb, err := b64url().DecodeString(h)
	if err != nil {
		return fail(CodeFormatBase64, Params{{"part", "header"}})
	}
	header, dups, err := decode.ParseObject(hb)
	if err != nil {
		return fail(CodeFormatHeaderJSON, Params{{"error", err.Error()}})
	}
	if len(dups) > 0 {
		return fail(CodeFormatDuplicate, Params{{"part", "header"}, {"names", quoteList(dups)}})
	}
	tok := &token{header: header}
	algRaw, ok := header.Get("alg")
	tok.alg, _ = str(algRaw, ok)
	switch {
	case !ok:
		return fail(CodeAlgMissing, nil)
	case tok.alg == "" && string(algRaw) != `""`:
		return fail(CodeAlgNotString, nil)
	case strings.EqualFold(tok.alg, "none"):
		return fail(CodeAlgNone, Params{{"alg", tok.alg}})
	}
	if header.Has("crit") {
		raw, _ := header.Get("crit")
		return fail(CodeFormatCrit, Params{{"crit", string(raw)}})
	}
	if header.Has("b64") {
		return fail(CodeFormatUnencoded, nil)
	}
	if raw, ok := header.Get("kid"); ok {
		kid, isStr := str(raw, true)
		if !isStr {
			return fail(CodeFormatKidType, nil)
		}
		tok.kid = kid
	}
	if raw, ok := header.Get("typ"); ok {
		tok.typ, _ = str(raw, true)
	}
	if s == "" {
		return fail(CodeFormatNoSignature, nil)
	}
	pb, err := b64url().DecodeString(p)
	if err != nil {
		return fail(CodeFormatBase64, Params{{"part", "payload"}})
	}
	sig, err := b64url().DecodeString(s)
	if err != nil {
		return fail(CodeFormatBase64, Params{{"part", "signature"}})
	}
	tok.sig = sig
	tok.signingInput = []byte(compact[:len(h)+1+len(p)])
	// Verify adds the alg and kid as params when it reports details.
	pass := Check{Name: CheckFormat, Status: Pass, Code: CodeFormatOK}
	if anyPayload {
		return tok, pass
	}
	claims, dups, err := decode.ParseObject(pb)
	if err != nil {
		return fail(CodeFormatClaimsJSON, Params{{"error", err.Error()}})
	}
	if len(dups) > 0 {
		return fail(CodeFormatDuplicate, Params{{"part", "claims"}, {"names", quoteList(dups)}})
	}
	tok.claims = claims
	return tok, pass
}

// ignoredHeaders names the header fields that point at keys. jwtrace never
// follows them: trusting a key the token brings is how forged tokens pass.
func ignoredHeaders(h *decode.Object) []string {
	var notes []string
	for _, name := range []string{"jku", "x5u", "jwk", "x5c"} {
		if h.Has(name) {
			notes = append(notes, "the header's "+name+" was ignored: jwtrace never uses keys the token names or carries")
		}
	}
	return notes
}
