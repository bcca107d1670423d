package chain

import (
	"context"
	"net/http"
	"time"

	"github.com/jwtrace/jwtrace/internal/netx"
	"github.com/jwtrace/jwtrace/verify"
)

// Request is one chain run, the use case behind jwtrace chain: the hops,
// the token sent to each, and how.
type Request struct {
	Hops []Hop
	// Token is the bearer token sent to every hop.
	Token string
	// Client sends the requests (see Runner.Client); Fetcher loads the
	// keys of hops that declare rules (nil: no predictions).
	Client  *http.Client
	Fetcher *verify.Fetcher
	// Now is the moment the token is evaluated at; nil is time.Now.
	Now func() time.Time
	// AllowHTTP permits plain http:// to hosts other than loopback, for
	// the hops and their key sources.
	AllowHTTP bool
	// BodyBytes, StopOnFailure and OnHop are the Runner's.
	BodyBytes     int
	StopOnFailure bool
	OnHop         func(i int, name string, started time.Time)
	// Discover reads every hop's protected resource metadata, not only
	// that of a hop whose challenge names it (Runner.Discover).
	Discover bool
	// Exchanger performs the hops' exchange:, PassThrough ignores them
	// (Runner's; see exchange.go).
	Exchanger   Exchanger
	PassThrough bool
	// Each, when not nil, gets each hop's result as it finishes.
	Each func(*Result)
}

// Run checks the hops (Check: a *HopError or a plain error is a usage
// mistake, and nothing is sent), then sends the token through them and
// returns the report. The error is also ctx's when it ended the run; the
// report then holds the hops sent so far.
func Run(ctx context.Context, req Request) (*Report, error) {
	if err := Check(req.Hops, req.AllowHTTP); err != nil {
		return nil, err
	}
	r := &Runner{
		Client:        req.Client,
		Token:         req.Token,
		Fetcher:       req.Fetcher,
		Now:           req.Now,
		BodyBytes:     req.BodyBytes,
		StopOnFailure: req.StopOnFailure,
		OnHop:         req.OnHop,
		Discover:      req.Discover,
		AllowHTTP:     req.AllowHTTP,
		MetadataHosts: NamedOrigins(req.Hops),
		Exchanger:     req.Exchanger,
		PassThrough:   req.PassThrough,
	}
	if r.Client == nil {
		r.Client = netx.Default()
	}
	rep := r.Run(ctx, req.Hops, req.Each)
	return rep, ctx.Err()
}
