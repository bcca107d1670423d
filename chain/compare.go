package chain

import (
	"context"
	"fmt"
	"strings"
)

// Comparison is one chain run twice: pass-through (every hop gets the
// chain's token, exchanges ignored) and with the exchanges the hops
// declare (real delegation).
type Comparison struct {
	PassThrough *Report      `json:"pass_through"`
	Exchange    *Report      `json:"exchange"`
	Rows        []CompareRow `json:"rows"`
}

// CompareRow is one hop in both runs.
type CompareRow struct {
	Index       int         `json:"index"`
	Name        string      `json:"name,omitempty"`
	Exchanges   bool        `json:"exchanges"`
	PassThrough CompareCell `json:"pass_through"`
	Exchange    CompareCell `json:"exchange"`
}

// CompareCell is a hop's outcome in one run, and why.
type CompareCell struct {
	Verdict    Verdict `json:"verdict"`
	Status     int     `json:"status"`
	AsExpected bool    `json:"as_expected"`
	// Disagrees says the server contradicted the hop's declared rules.
	Disagrees bool `json:"disagrees"`
	// Why is the cause ("aud: the token's audience is ..."), an error, or
	// what the hop received.
	Why string `json:"why"`
}

// Compare checks the hops, then runs them pass-through and with the
// exchanges, one after the other. The error is Run's (a usage error, or
// ctx's).
func Compare(ctx context.Context, req Request) (*Comparison, error) {
	pt := req
	pt.PassThrough = true
	a, err := Run(ctx, pt)
	if a == nil || err != nil {
		return nil, err
	}
	ex := req
	ex.PassThrough = false
	b, err := Run(ctx, ex)
	if b == nil {
		return nil, err
	}
	c := &Comparison{PassThrough: a, Exchange: b}
	for i := range req.Hops {
		row := CompareRow{Index: i + 1, Name: req.Hops[i].Name, Exchanges: req.Hops[i].Exchange != nil}
		if i < len(a.Hops) {
			row.PassThrough = cell(a.Hops[i])
		}
		if i < len(b.Hops) {
			row.Exchange = cell(b.Hops[i])
		}
		c.Rows = append(c.Rows, row)
	}
	return c, err
}

func cell(r *Result) CompareCell {
	c := CompareCell{Verdict: r.Verdict, Status: r.Status, AsExpected: r.AsExpected, Disagrees: r.Agrees != nil && !*r.Agrees}
	switch {
	case r.Cause != nil:
		c.Why = r.Cause.Claim + ": " + r.Cause.Detail
	case r.Error != "":
		c.Why = r.Error
	case r.Verdict == Rejected:
		if ch := r.Challenge; ch != nil && ch.ErrorCode() != "" {
			c.Why = ch.ErrorCode()
		}
	}
	if c.Why == "" && r.Received != nil {
		var parts []string
		if len(r.Received.Aud) > 0 {
			parts = append(parts, "aud "+strings.Join(r.Received.Aud, " "))
		}
		if d := r.Received.Delegation; d != nil && d.Chain != "" {
			parts = append(parts, "act "+d.Chain)
		}
		if r.Received.From == FromExchange {
			parts = append(parts, "exchanged")
		}
		c.Why = strings.Join(parts, " · ")
	}
	if c.Why == "" {
		c.Why = fmt.Sprint(r.Verdict)
	}
	return c
}
