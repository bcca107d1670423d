package verify

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/decode"
)

// Request is one verification, the use case behind jwtrace verify: the
// policy (where the keys come from and the rules), a shared secret, the
// moment to evaluate at, and the token input or a batch of tokens.
type Request struct {
	// Policy is where the keys come from and the rules a token must meet.
	Policy Policy
	// Secret is an HMAC shared secret (not part of a policy), and
	// SecretSource where it came from, for the report.
	Secret       []byte
	SecretSource string
	// At is the moment the times are evaluated at; zero is now.
	At time.Time
	// Input is the token input, in any form decode reads; every token in
	// it is verified, or none.
	Input []byte
	// Batch, when not nil, is read one token per line instead of Input,
	// and BatchOut gets one JSON line per token.
	Batch    io.Reader
	BatchOut io.Writer
	// Explain fills the text of the lines a batch writes (Verifier.Explain).
	Explain func(*Result)
	// Fetcher loads the keys named by URL; nil fetches with a default one.
	Fetcher *Fetcher
}

// Report is a verification's outcome: the result of each token (or, for a
// batch, the counts), where the keys came from, and decode's notes on the
// input.
type Report struct {
	Results []*Result
	Origin  *Origin
	// Notes are decode's notes on the input (a quote dropped, a value
	// that is not a JWT).
	Notes []string
	// Batch counts a batch's tokens; nil for Input.
	Batch *BatchStats
}

// Valid reports whether every token verified (a batch: none rejected).
func (r *Report) Valid() bool {
	if r.Batch != nil {
		return r.Batch.Rejected == 0
	}
	for _, res := range r.Results {
		if !res.Valid {
			return false
		}
	}
	return len(r.Results) > 0
}

// InputCountError is input verify will not take as it is: it holds
// Max or more tokens (TooMany), or fewer complete tokens than places
// where a token starts (a token cut short beside a whole one). Verifying
// some of them would let a token verify skipped hide behind another
// one's "valid". It is an input error.
type InputCountError struct {
	TooMany bool
	// Tokens is how many tokens were found (TooMany), or how many
	// token-like values (else); Complete how many complete tokens.
	Tokens, Complete, Max int
}

func (e *InputCountError) Error() string {
	if e.TooMany {
		return "the input holds too many tokens"
	}
	return "the input holds token-like values that are not complete tokens"
}

// OpaqueTokenError is input that is a bearer token but not a JWT (an
// opaque access token): there is nothing to verify locally, only its
// issuer can say what it is (RFC 7662 token introspection). It is an
// input error.
type OpaqueTokenError struct {
	// Err is decode's error about the input.
	Err error
}

func (e *OpaqueTokenError) Error() string { return e.Err.Error() }
func (e *OpaqueTokenError) Unwrap() error { return e.Err }

// Validate reports the policy's mistakes before anything is read or
// fetched (Policy.Validate, a *RuleError). With an authority the issuer
// rule may still come from discovery, so the rules are checked as if it
// had. Run calls it too.
func (req *Request) Validate() error {
	p := req.Policy
	if p.Authority.Value != "" && len(p.Issuer.Value) == 0 && !p.SkipIssuer.Value {
		p.Issuer = List(p.Authority.Value)
	}
	return p.Validate()
}

// Run verifies the request's tokens: it loads the keys (discovery, JWKS,
// files, the secret), takes the issuer from discovery when the policy
// names none, and checks every token. A token rejected is not an error:
// the report says so. Errors are the request's mistakes (*RuleError,
// *InputCountError, decode's errors; the report then holds decode's notes
// when there are any) or the keys' (*FetchError, *KeyFileError, ...).
func Run(ctx context.Context, req Request) (*Report, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	p := req.Policy
	rules := p.Rules()
	rules.At = req.At
	if rules.At.IsZero() {
		rules.At = time.Now()
	}
	src := p.Sources()
	src.Secret, src.SecretSource = req.Secret, req.SecretSource
	f := req.Fetcher
	if f == nil {
		f = &Fetcher{}
	}
	keys, origin, err := f.LoadKeys(ctx, src)
	if err != nil {
		return nil, err
	}
	if len(p.Issuer.Value) == 0 && !p.SkipIssuer.Value && origin.Issuer != "" && rules.IssuerUnset == "" {
		rules.Issuers = []string{origin.Issuer}
	}
	jwks := src.JWKSURL
	if origin.JWKS != nil {
		jwks = origin.JWKS.URL
	}
	rules.ImpliedIssuers(origin.Issuer, jwks)
	rules.DiscoveredAlgs(origin.SigningAlgs)
	if err := rules.Check(); err != nil {
		return nil, err
	}
	if len(origin.Keys) == 0 {
		return nil, &FetchError{URL: firstNonEmpty(src.JWKSURL, src.Authority), Err: errors.New("no usable verification key: " + strings.Join(origin.Notes, "; "))}
	}
	v := &Verifier{Keys: keys, Rules: rules, Explain: req.Explain}
	rep := &Report{Origin: origin}
	if req.Batch != nil {
		out := req.BatchOut
		if out == nil {
			out = io.Discard
		}
		stats, err := v.Batch(ctx, req.Batch, out, 0)
		if err != nil {
			return nil, err
		}
		rep.Batch = &stats
		return rep, nil
	}
	found, err := decode.Extract(req.Input)
	if err != nil {
		return nil, opaque(req.Input, err)
	}
	if n := len(found.Candidates); n >= decode.MaxTokens {
		return nil, &InputCountError{TooMany: true, Tokens: n, Max: decode.MaxTokens - 1}
	}
	if like := tokenLike(req.Input); like > len(found.Candidates) {
		return nil, &InputCountError{Tokens: like, Complete: len(found.Candidates)}
	}
	rep.Notes = found.Notes
	// Input that is not a token is malformed input, as decode says, not a
	// token verify rejected.
	for _, c := range found.Candidates {
		if _, err := decode.Parse(c.Token, c.Source, decode.Options{Now: rules.At}); err != nil {
			return rep, opaque(req.Input, err)
		}
	}
	for _, c := range found.Candidates {
		r := v.Verify(ctx, c.Token)
		if len(found.Candidates) > 1 {
			r.Source = c.Source
		}
		rep.Results = append(rep.Results, r)
	}
	// A token's unknown kid may have refetched the JWKS: say so, with the
	// keys it holds now.
	origin.NoteRefetch(keys)
	return rep, nil
}

// tokenLike counts the places in the input where a JWT header starts
// ("eyJ" not inside a longer base64url run): each should have become a
// candidate token.
func tokenLike(input []byte) int {
	n := 0
	for i := 0; i+3 <= len(input); i++ {
		if input[i] == 'e' && input[i+1] == 'y' && input[i+2] == 'J' && (i == 0 || !isB64URL(input[i-1])) {
			n++
		}
	}
	return n
}

func isB64URL(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
}

// opaque is err, as an *OpaqueTokenError when the input is one bearer
// token that is not a JWT.
func opaque(input []byte, err error) error {
	if OpaqueToken(input) {
		return &OpaqueTokenError{Err: err}
	}
	return err
}

// OpaqueToken reports whether input is one bearer token that is not a
// JWT: a single word of RFC 6750 §2.1 b64token characters, at least 16 of
// them and no dot, alone or after "Bearer" or "Authorization: Bearer".
func OpaqueToken(input []byte) bool {
	s := string(bytes.TrimSpace(input))
	if len(s) > 14 && strings.EqualFold(s[:14], "authorization:") {
		s = strings.TrimSpace(s[14:])
	}
	if tok, ok := decode.BearerToken(s); ok {
		s = tok
	}
	if len(s) < 16 {
		return false
	}
	// A dotted value is opaque unless its first part is a JOSE header: Ory
	// Hydra's ory_at_<…>.<…> has one dot, while a JWT cut short (eyJ….eyJ…)
	// is a damaged token that decode's message explains.
	if strings.Contains(s, ".") && !decode.DottedOpaque(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
		if c := s[i]; !isB64URL(c) && c != '~' && c != '+' && c != '/' && c != '=' {
			return false
		}
	}
	return true
}
