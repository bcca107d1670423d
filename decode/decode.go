package decode

import "errors"

// Result is everything decode found in one input.
type Result struct {
	// Tokens holds every token whose header could be decoded, in input order.
	Tokens []*Token
	// Failed holds the candidates that were token-shaped but could not be
	// decoded at all, with the reason.
	Failed []*Error
	// Notes are remarks about the input, such as an opaque refresh token
	// next to the JWTs of a token response.
	Notes []string
}

// Decode extracts every token from input and decodes it. It returns an
// *InputError when the input holds no token, and an *Error when it held one
// token-shaped value that could not be decoded.
func Decode(input []byte, opts Options) (*Result, error) {
	ex, err := Extract(input)
	if err != nil {
		return nil, err
	}
	res := &Result{Notes: ex.Notes}
	for _, c := range ex.Candidates {
		t, err := Parse(c.Token, c.Source, opts)
		if err != nil {
			var de *Error
			if errors.As(err, &de) {
				res.Failed = append(res.Failed, de)
				continue
			}
			return nil, err
		}
		res.Tokens = append(res.Tokens, t)
	}
	if len(res.Tokens) == 0 && len(res.Failed) == 1 {
		return res, res.Failed[0]
	}
	if len(res.Tokens) == 0 && len(res.Failed) == 0 {
		return res, &InputError{Msg: "no JWT found in the input"}
	}
	if len(res.Tokens) == 0 && len(res.Failed) > 1 {
		return res, &InputError{Msg: "none of the token-shaped values in the input could be decoded"}
	}
	return res, nil
}

// OK reports whether at least one token was fully decoded.
func (r *Result) OK() bool {
	for _, t := range r.Tokens {
		if t.Decoded() {
			return true
		}
	}
	return false
}
