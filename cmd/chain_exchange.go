package cmd

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/jwtrace/jwtrace/chain"
	"github.com/jwtrace/jwtrace/internal/report"
	"github.com/jwtrace/jwtrace/internal/ui"
	"github.com/jwtrace/jwtrace/login"
	"github.com/jwtrace/jwtrace/verify"
)

// chainExchanger performs a chain file's exchange: with login's exchange
// (RFC 8693, or Azure AD's on-behalf-of), sent only to the authority or
// token endpoint the file names, with jwtrace's network rules.
func chainExchanger(hc *http.Client, f *verify.Fetcher, now func() time.Time) chain.Exchanger {
	return func(ctx context.Context, x *chain.Exchange, subject string) (string, error) {
		lc := &login.Client{HTTP: hc, Fetcher: f, Now: now}
		req := &login.ExchangeRequest{
			Client:             login.Request{Authority: x.Authority, TokenEndpoint: x.TokenEndpoint, ClientID: x.ClientID, ClientSecret: x.ClientSecret},
			SubjectToken:       subject,
			Audiences:          x.Audiences,
			Resources:          x.Resources,
			Scopes:             x.Scopes,
			RequestedTokenType: x.RequestedTokenType,
			OnBehalfOf:         x.Mode == chain.ModeOnBehalfOf,
		}
		got, err := lc.Exchange(ctx, req)
		if err != nil {
			var se *login.ServerError
			if errors.As(err, &se) {
				// login's hints name the exchange command's flags; a
				// chain file has keys instead.
				se.Hint = exchangeFileHint(se.Code)
				return "", &chain.ExchangeError{Code: se.Code, Description: se.Description, Err: err}
			}
			var de *login.DeniedError
			if errors.As(err, &de) {
				return "", &chain.ExchangeError{Code: de.Code, Description: de.Description, Err: err}
			}
			return "", err
		}
		return got.AccessToken, nil
	}
}

// exchangeFileHint is the advice, in a chain file's words, for the errors
// an exchange gets (RFC 6749 §5.2, RFC 8693 §2.2.2).
func exchangeFileHint(code string) string {
	switch code {
	case "invalid_client":
		return "check client_id and client_secret under the hop's exchange:"
	case "unauthorized_client":
		return "this client may not use the grant: give the client registered for exchanges (client_id), or allow the grant for it at the authority"
	case "invalid_target":
		return "the authority will not issue a token for that audience or resource: check audience: and resource: under the hop's exchange:"
	case "invalid_scope":
		return "the authority refuses the scope asked for: check scope: under the hop's exchange:"
	case "invalid_grant":
		return "the authority refuses the subject token (the token the previous hop received): expired, from another issuer, or not meant for this client"
	case "invalid_request":
		return "the authority refuses the request or the subject token (the token the previous hop received)"
	}
	return ""
}

// exchangeHooks lets the chain run perform its exchanges, and with
// --show-token shows each hop's token whole (it is masked otherwise).
func (opts *chainOptions) exchangeHooks(req *chain.Request) {
	req.Exchanger = chainExchanger(req.Client, req.Fetcher, opts.now)
	if !opts.showToken {
		return
	}
	each := req.Each
	req.Each = func(res *chain.Result) {
		res.Received.Reveal()
		if each != nil {
			each(res)
		}
	}
}

// chainCompareJSON is chain --compare --json's object.
type chainCompareJSON struct {
	Token chainTokenJSON `json:"token"`
	*chain.Comparison
}

// chainCompare is chain --compare: the same hops pass-through and with
// their exchanges, side by side. Its exit status is the exchange run's,
// as chain's: 0 when every hop answered as expected with the declared
// exchanges (the pass-through run is the "before", expected to fail).
func chainCompare(ctx context.Context, opts *chainOptions, req chain.Request, token string, now time.Time) (*chain.Report, error) {
	s := opts.streams
	hasExchange := false
	for i := range req.Hops {
		hasExchange = hasExchange || req.Hops[i].Exchange != nil
	}
	if !hasExchange {
		return nil, &usageError{errors.New("--compare runs the chain pass-through and with the exchanges its hops declare, and no hop declares one: add exchange: to a hop of the chain file (see jwtrace help chain)")}
	}
	req.OnHop, req.Each = nil, nil
	opts.exchangeHooks(&req)
	c, err := chain.Compare(ctx, req)
	if c == nil {
		return nil, &usageError{err}
	}
	if opts.showToken {
		for _, rep := range []*chain.Report{c.PassThrough, c.Exchange} {
			for _, h := range rep.Hops {
				h.Received.Reveal()
			}
		}
	}
	if opts.json {
		out := chainCompareJSON{Token: chainToken(token, opts.showToken, now), Comparison: c}
		if werr := ui.WriteJSON(s.Out, out, s.StdoutIsTerminal()); werr != nil {
			return c.Exchange, werr
		}
	} else {
		masked := chain.Mask(token)
		if opts.showToken {
			masked = token
		}
		s.Printer(s.Out).ChainCompare(ui.ChainView{Token: tokenLine(token, now), Masked: masked, ShowToken: opts.showToken, Hops: req.Hops}, c)
	}
	if werr := opts.reports.Write(c.Exchange, report.Chain{Source: opts.file, Token: token, ShowToken: opts.showToken, TokenInfo: tokenLine(token, now), At: now}, s.Getenv, s.ErrOut); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return c.Exchange, err
	}
	if !c.Exchange.Summary.OK {
		return c.Exchange, reported(outcomeRejected)
	}
	return c.Exchange, nil
}
