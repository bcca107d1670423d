package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/netx"
	"github.com/jwtrace/jwtrace/internal/textsafe"
	"github.com/jwtrace/jwtrace/verify"
	"github.com/jwtrace/jwtrace/verify/explain"
)

// Verdict is what a hop's server did with the token.
type Verdict string

const (
	// Accepted: a 2xx or 3xx answer.
	Accepted Verdict = "accepted"
	// Rejected: 401 or 403.
	Rejected Verdict = "rejected"
	// Failed: another 4xx or 5xx; whether the token was accepted is not
	// known (a service whose downstream call failed answers 502).
	Failed Verdict = "failed"
	// Redirected: the server redirected to another host; jwtrace did not
	// follow, so the token was not sent there.
	Redirected Verdict = "redirected"
	// The request got no HTTP answer.
	Refused  Verdict = "refused"
	Timeout  Verdict = "timeout"
	TLSError Verdict = "tls"
	Error    Verdict = "error"
	// NotSent: an earlier hop failed and --stop-on-failure was given.
	NotSent Verdict = "not_sent"
)

// Answered reports whether the server answered with an HTTP status.
func (v Verdict) Answered() bool {
	return v == Accepted || v == Rejected || v == Failed || v == Redirected
}

// Result is one hop's outcome.
type Result struct {
	Index  int    `json:"index"`
	Name   string `json:"name,omitempty"`
	Method string `json:"method"`
	URL    string `json:"url"`
	// Status is the HTTP status, 0 without an answer.
	Status int `json:"status"`
	// Latency is from sending the request to the end of the (bounded)
	// body.
	Latency   time.Duration `json:"-"`
	LatencyMS float64       `json:"latency_ms"`
	Verdict   Verdict       `json:"verdict"`
	// Expected is the statuses the hop should answer (empty: any 2xx), and
	// AsExpected whether it did.
	Expected   []int `json:"expected_status"`
	AsExpected bool  `json:"as_expected"`
	// Error says why there is no answer.
	Error string `json:"error,omitempty"`
	// Notes are warnings about the answer: a redirect to a login page, a
	// body cut short, challenges left out.
	Notes []string `json:"notes,omitempty"`
	// Challenge is the Bearer (or DPoP) challenge of WWW-Authenticate;
	// WWWAuthenticate the header values as sent.
	Challenge       *Challenge `json:"-"`
	WWWAuthenticate []string   `json:"www_authenticate,omitempty"`
	// Redirects are the same-host redirects followed; BlockedRedirect a
	// redirect to another host, not followed.
	Redirects       []string `json:"redirects,omitempty"`
	BlockedRedirect string   `json:"blocked_redirect,omitempty"`
	// Body is the first bytes of a failing response, with --show-body;
	// BodyTruncated says there was more.
	Body          string `json:"body,omitempty"`
	BodyTruncated bool   `json:"body_truncated,omitempty"`
	// Prediction is what the hop's declared rules say; nil when it
	// declares none.
	Prediction *Prediction `json:"prediction"`
	// Agrees compares the prediction with the server's verdict; nil when
	// there is nothing to compare.
	Agrees *bool `json:"agrees"`
	// Cause names the claim most likely at fault when the hop rejected the
	// token (or the prediction disagrees).
	Cause *Cause `json:"cause,omitempty"`
	// Metadata is the hop's protected resource metadata (RFC 9728), when
	// its challenge names it or Runner.Discover (see metadata.go);
	// RulesFrom says where the prediction's rules came from:
	// RulesDeclared or RulesMetadata.
	Metadata  *Metadata `json:"metadata,omitempty"`
	RulesFrom string    `json:"rules_from,omitempty"`
	// Received is the token the hop was sent and where it came from;
	// Relay the relay note, when it is not meant for the hop (see
	// exchange.go).
	Received *HopToken `json:"received,omitempty"`
	Relay    string    `json:"relay,omitempty"`
}

// Says is the server's answer in a few words: "accepted", "rejected:
// invalid_token", "failed (502)", "error: refused". The challenge's error
// code is the server's text, as it came: a renderer escapes it.
func (res *Result) Says() string {
	switch res.Verdict {
	case Accepted:
		return "accepted"
	case Rejected:
		if c := res.Challenge; c != nil && c.ErrorCode() != "" {
			return "rejected: " + c.ErrorCode()
		}
		return "rejected"
	case Failed:
		return fmt.Sprintf("failed (%d)", res.Status)
	case Redirected:
		switch {
		case res.BlockedRedirect != "":
			return "redirected off-host"
		case len(res.Redirects) > 0:
			return "sign-in page"
		}
		return fmt.Sprintf("redirect (%d)", res.Status)
	case Refused:
		return "error: refused"
	case Timeout:
		return "error: timeout"
	case TLSError:
		return "error: TLS"
	case NotSent:
		return "not sent"
	}
	return "error"
}

// Prediction is verify's answer under a hop's declared rules.
type Prediction struct {
	Accept  bool   `json:"accept"`
	Summary string `json:"summary"`
	// Failed names the failed checks; Checks are all of them.
	Failed []string       `json:"failed"`
	Checks []verify.Check `json:"checks,omitempty"`
	// Error is set when no prediction could be made (the keys could not be
	// fetched); Accept is then false and means nothing.
	Error string `json:"error,omitempty"`
	// Validator is the library profile the prediction applied (a hop's
	// validator:), "" for jwtrace's own rules.
	Validator string `json:"validator,omitempty"`
	// Because says which of the validator's defaults decided the
	// prediction ("go-oidc allows 5m of clock skew on nbf").
	Because []string `json:"because,omitempty"`
	// Status and Challenge are how the validator answers the token when
	// it refuses it: the status, and the WWW-Authenticate form (rfc6750,
	// bare, none; app when the application writes it).
	Status    int                  `json:"status,omitempty"`
	Challenge verify.ChallengeForm `json:"challenge,omitempty"`
}

// Cause is the claim most likely at fault.
type Cause struct {
	// Claim is a claim name (aud, iss, exp, nbf, iat, scp, typ) or
	// "signature".
	Claim string `json:"claim"`
	// Code is the reason code of the failed check, when the cause comes
	// from the hop's rules.
	Code   verify.Code `json:"code,omitempty"`
	Detail string      `json:"detail"`
	// Hint suggests a fix, when verify has one.
	Hint string `json:"hint,omitempty"`
	// From says how jwtrace knows: "rules" (the hop's declared rules),
	// "server" (its WWW-Authenticate), or "token" (the token alone).
	From string `json:"from"`
}

// Runner sends a token through hops.
type Runner struct {
	// Client sends the requests. Its CheckRedirect is replaced: only
	// redirects to the same scheme, host and port are followed.
	Client *http.Client
	// Token is the bearer token.
	Token string
	// Fetcher loads the keys of hops that declare rules; nil makes no
	// predictions.
	Fetcher *verify.Fetcher
	// Now is the moment tokens are evaluated at; nil is time.Now.
	Now func() time.Time
	// BodyBytes is how much of a failing response's body to keep (0:
	// none).
	BodyBytes int
	// StopOnFailure marks the hops after the first unexpected answer as
	// not sent.
	StopOnFailure bool
	// OnHop, when not nil, is called as each hop is sent (before its
	// answer, which Run's each gets) with its number (1-based), its name
	// ("" for an argument hop) and when it started: a terminal shows a
	// progress line while a slow hop is in flight. It runs on Run's
	// goroutine; hops not sent are not announced.
	OnHop func(i int, name string, started time.Time)
	// Discover reads every hop's protected resource metadata at the
	// well-known URL under its URL (RFC 9728 §3.1), not only a hop whose
	// challenge names resource_metadata. AllowHTTP permits plain http to
	// hosts other than loopback for those documents and the keys of the
	// rules they imply; MetadataHosts are origins besides each hop's own
	// where a challenge's resource_metadata may be fetched (NamedOrigins).
	Discover      bool
	AllowHTTP     bool
	MetadataHosts []string
	// Exchanger performs the exchanges hops declare (exchange:, see
	// exchange.go); PassThrough ignores them: every hop gets the chain's
	// token.
	Exchanger   Exchanger
	PassThrough bool

	mu   sync.Mutex
	keys map[string]keyEntry
	meta map[string]*metaDoc
	// mk finds the token in server text (built once per token).
	mk atomic.Pointer[masker]
	// others mask the chain's other tokens (exchange.go), maskers holds
	// them.
	others  []*masker
	maskers map[string]*masker
}

type keyEntry struct {
	keys   *verify.KeySet
	issuer string
	// algs are the discovery document's signing algorithms; jwks the
	// JWKS URL the keys came from.
	algs []string
	jwks string
	err  error
}

// drainBytes is how much of a body is read, besides what is kept, so that
// the connection can be reused; a longer body closes the connection.
const drainBytes = 64 << 10

// maxRedirects bounds same-host redirects per hop.
const maxRedirects = netx.MaxRedirects

// A hop keeps at most maxChallengeHeaders WWW-Authenticate values, each
// cut at maxChallengeShown bytes: a hostile server must not fill memory.
const (
	maxChallengeHeaders = 4
	maxChallengeShown   = 1024
)

// Run sends the token through every hop in order, calling each (if not
// nil) as each hop finishes, and returns the report.
func (r *Runner) Run(ctx context.Context, hops []Hop, each func(*Result)) *Report {
	rep := &Report{Hops: make([]*Result, 0, len(hops))}
	stopped := false
	flow := r.startFlow(hops)
	defer flow.end()
	for i := range hops {
		var res *Result
		if stopped {
			h := &hops[i]
			res = &Result{Index: i + 1, Name: h.Name, Method: h.Method, URL: h.URL, Verdict: NotSent, Expected: h.Expect}
		} else {
			if r.OnHop != nil {
				r.OnHop(i+1, hops[i].Name, time.Now())
			}
			res = flow.send(ctx, i, r.Hop)
			if !res.AsExpected && r.StopOnFailure {
				stopped = true
			}
		}
		rep.Hops = append(rep.Hops, res)
		if each != nil {
			each(res)
		}
		if ctx.Err() != nil {
			break
		}
	}
	rep.finish()
	return rep
}

// Hop sends the token to one hop and judges the answer.
func (r *Runner) Hop(ctx context.Context, index int, h *Hop) *Result {
	res := &Result{Index: index, Name: h.Name, Method: h.Method, URL: h.URL, Expected: h.Expect}
	if res.Expected == nil {
		res.Expected = []int{}
	}
	r.send(ctx, h, res)
	res.LatencyMS = float64(res.Latency.Microseconds()) / 1000
	// A sign-in page answers 200, but is not what a caller of an API
	// expects.
	signIn := res.Verdict == Redirected && res.Status < 300
	res.AsExpected = res.Verdict.Answered() && h.Expected(res.Status) && !signIn
	if h.Rules.Declared() {
		res.Prediction = r.predict(ctx, h.Rules)
	}
	r.judge(res)
	r.readMetadata(ctx, h, res)
	r.maskResult(res)
	return res
}

// maskResult hides the token in everything a server or a URL put in the
// result: a server that echoes the token (in a challenge, a redirect's
// query, an error) must not make jwtrace print it.
func (r *Runner) maskResult(res *Result) {
	if r.Token == "" {
		return
	}
	res.URL, res.Error = r.mask(res.URL), r.mask(res.Error)
	res.BlockedRedirect = r.mask(res.BlockedRedirect)
	for i := range res.Redirects {
		res.Redirects[i] = r.mask(res.Redirects[i])
	}
	for i := range res.WWWAuthenticate {
		res.WWWAuthenticate[i] = r.mask(res.WWWAuthenticate[i])
	}
	if c := res.Challenge; c != nil {
		c.Token68 = r.mask(c.Token68)
		for k, v := range c.Params {
			c.Params[k] = r.mask(v)
		}
	}
	if c := res.Cause; c != nil {
		c.Detail, c.Hint = r.mask(c.Detail), r.mask(c.Hint)
	}
	if p := res.Prediction; p != nil {
		// A key source's error may quote what its server sent.
		p.Error = r.mask(p.Error)
	}
	for i := range res.Notes {
		res.Notes[i] = r.mask(res.Notes[i])
	}
}

func (r *Runner) send(ctx context.Context, h *Hop, res *Result) {
	var body io.Reader
	if h.Body != nil {
		body = bytes.NewReader(h.Body)
	}
	req, err := http.NewRequestWithContext(ctx, h.Method, h.URL, body)
	if err != nil {
		res.Verdict, res.Error = Error, err.Error()
		return
	}
	for name, values := range h.Header {
		req.Header[name] = values
	}
	req.Header.Set("Authorization", "Bearer "+r.Token)
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "jwtrace-chain")
	}
	client := *r.Client
	client.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		if len(via) > maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if !sameOrigin(via[0].URL, next.URL) {
			res.BlockedRedirect = next.URL.Redacted()
			return http.ErrUseLastResponse
		}
		res.Redirects = append(res.Redirects, next.URL.Redacted())
		return nil
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		res.Latency = time.Since(start)
		res.Verdict, res.Error = classify(err)
		return
	}
	defer resp.Body.Close()
	res.Status = resp.StatusCode
	values := resp.Header.Values("WWW-Authenticate")
	if len(values) > 0 {
		// Masked before parsing: unquoting a quoted-string (\/ becomes
		// /) would otherwise leave the parsed params showing what the
		// raw value hid in an escape.
		values = slices.Clone(values)
		for i := range values {
			values[i] = r.mask(values[i])
		}
		res.Challenge = Bearer(ParseChallenges(values))
		if res.Challenge != nil {
			c := *res.Challenge
			res.Challenge = &c
		}
		for i, v := range values {
			if i == maxChallengeHeaders {
				res.Notes = append(res.Notes, fmt.Sprintf("%d more WWW-Authenticate headers left out", len(values)-i))
				break
			}
			res.WWWAuthenticate = append(res.WWWAuthenticate, textsafe.CutBytes(v, maxChallengeShown))
		}
	}
	keep := 0
	if !h.Expected(resp.StatusCode) {
		keep = r.BodyBytes
	}
	if keep > 0 {
		// Read past what is kept by the longest echo of the token, so
		// that an echo crossing the cut is masked whole, not shown up to
		// the cut. When the body goes on past what was read, what is
		// kept ends before any echo that starts too late to be whole in
		// it: masking what comes before may have made it shorter.
		m := r.masker()
		slack := 0
		if r.Token != "" {
			slack = m.maxEcho
		}
		buf := make([]byte, keep+slack+1)
		n, err := io.ReadFull(resp.Body, buf)
		res.BodyTruncated = n > keep
		body := string(buf[:n])
		if n == len(buf) {
			body = m.maskPrefix(body, n-slack)
		} else {
			body = m.mask(body)
		}
		if len(body) > keep {
			body = body[:keep]
		}
		res.Body = body
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			res.Notes = append(res.Notes, "the body could not be read: "+shortErr(err))
		}
	}
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, drainBytes)); err != nil {
		res.Notes = append(res.Notes, "the body could not be read: "+shortErr(err))
	}
	res.Latency = time.Since(start)
	html := strings.HasPrefix(strings.ToLower(resp.Header.Get("Content-Type")), "text/html")
	switch {
	case res.BlockedRedirect != "":
		res.Verdict = Redirected
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		res.Verdict = Rejected
	case resp.StatusCode >= 400:
		res.Verdict = Failed
	case resp.StatusCode >= 300:
		// A redirect that was not followed (no Location, 304, too many).
		res.Verdict = Redirected
	case len(res.Redirects) > 0 && html:
		// The cookie-login pattern: instead of a 401, the service sends
		// the caller to a sign-in page, which answers 200.
		res.Verdict = Redirected
		res.Notes = append(res.Notes, "redirected to an HTML page, most likely a sign-in page: the service did not accept the bearer token")
	default:
		res.Verdict = Accepted
	}
}

// shortErr is an error without Go's request prefix.
func shortErr(err error) string {
	err = netx.Unwrap(err)
	if netx.Classify(err) == netx.KindTimeout || strings.Contains(err.Error(), "Client.Timeout") {
		return "no more of it in time (--timeout)"
	}
	return err.Error()
}

// mask hides the token wherever a server echoed it, in whatever encoding
// (see masker).
func (r *Runner) mask(s string) string {
	if r.Token == "" {
		return s
	}
	return r.maskOthers(r.masker().mask(s))
}

func (r *Runner) masker() *masker {
	if m := r.mk.Load(); m != nil && m.token == r.Token {
		return m
	}
	m := newMasker(r.Token)
	r.mk.Store(m)
	return m
}

// sameOrigin reports whether a redirect stays on the scheme, host and port
// the hop was sent to (an http to https upgrade on the same host is
// allowed).
func sameOrigin(from, to *url.URL) bool {
	if !strings.EqualFold(from.Hostname(), to.Hostname()) {
		return false
	}
	if from.Scheme == to.Scheme {
		return netx.Port(from) == netx.Port(to)
	}
	return from.Scheme == "http" && to.Scheme == "https" && from.Port() == "" && to.Port() == ""
}

// classify turns a transport error into a verdict and a short reason
// (netx.Classify says what kind of failure it is).
func classify(err error) (Verdict, string) {
	err = netx.Unwrap(err)
	switch netx.Classify(err) {
	case netx.KindTLS:
		return TLSError, "TLS: " + err.Error()
	case netx.KindNotTLS:
		return TLSError, "TLS: the server did not answer with TLS (is it plain http?)"
	case netx.KindRefused:
		return Refused, "connection refused: nothing listens there"
	case netx.KindTimeout:
		return Timeout, "no answer in time"
	case netx.KindCanceled:
		return Error, "cancelled"
	case netx.KindDNS:
		return Error, "host not found: " + netx.DNSName(err)
	case netx.KindReset, netx.KindClosed:
		return Error, "the server closed the connection"
	}
	return Error, err.Error()
}

// predict verifies the token under the hop's declared rules.
func (r *Runner) predict(ctx context.Context, rules *Rules) *Prediction {
	if r.Fetcher == nil {
		return nil
	}
	e := r.loadKeys(ctx, rules)
	if e.err != nil {
		return &Prediction{Failed: []string{}, Error: "keys: " + e.err.Error(), Summary: "no prediction: the hop's keys could not be loaded"}
	}
	vr := rules.verifyRules(e.issuer, e.jwks)
	vr.DiscoveredAlgs(e.algs)
	vr.At = r.now()
	v := &verify.Verifier{Keys: e.keys, Rules: vr}
	res := v.Verify(ctx, r.Token)
	// A hop's rules are a chain file's keys: the checks' words name those,
	// not verify's flags.
	explain.YAML.Fill(res)
	pr := &Prediction{Accept: res.Valid, Summary: res.Summary, Failed: res.Failed, Checks: res.Checks}
	if prof := rules.Policy.Profile(); prof != nil && prof.Name != verify.ProfileJWTrace {
		pr.Validator, pr.Because = prof.Name, explain.Because(res)
		if !res.Valid {
			first := ""
			if len(res.Failed) > 0 {
				first = res.Failed[0]
			}
			pr.Status, pr.Challenge = prof.Failure.StatusFor(first), prof.Failure.Challenge
		}
	}
	return pr
}

// loadKeys loads (once per source) the keys a hop's rules name.
func (r *Runner) loadKeys(ctx context.Context, rules *Rules) keyEntry {
	src := verify.Sources{Authority: rules.Policy.Authority.Value, JWKSURL: rules.Policy.JWKSURL.Value}
	id := src.Authority + "\x00" + src.JWKSURL
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.keys[id]; ok {
		return e
	}
	ks, origin, err := r.Fetcher.LoadKeys(ctx, src)
	e := keyEntry{keys: ks, err: err}
	if err == nil {
		e.issuer, e.algs = origin.Issuer, origin.SigningAlgs
		if origin.JWKS != nil {
			e.jwks = origin.JWKS.URL
		}
		if len(origin.Keys) == 0 {
			e.err = errors.New("no usable key: " + strings.Join(origin.Notes, "; "))
		}
	}
	if r.keys == nil {
		r.keys = map[string]keyEntry{}
	}
	r.keys[id] = e
	return e
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// judge compares the prediction with the answer and finds the cause.
func (r *Runner) judge(res *Result) {
	p := res.Prediction
	if p != nil && p.Error == "" && (res.Verdict == Accepted || res.Verdict == Rejected) {
		agrees := p.Accept == (res.Verdict == Accepted)
		res.Agrees = &agrees
	}
	if res.Verdict == Rejected || (res.Agrees != nil && !*res.Agrees) {
		res.Cause = r.cause(res)
	}
	if note := unlikeValidator(res); note != "" {
		res.Notes = append(res.Notes, note)
	}
}

// unlikeValidator is a note when a hop refused the token, as predicted, in
// a way the validator it names does not answer (another status, a
// challenge where the library sends none, none where it sends one): the
// service may not run that library, or something in front of it answers.
func unlikeValidator(res *Result) string {
	p := res.Prediction
	if p == nil || p.Validator == "" || p.Accept || res.Verdict != Rejected {
		return ""
	}
	has := res.Challenge != nil || len(res.WWWAuthenticate) > 0
	var what string
	switch {
	case p.Status != 0 && res.Status != p.Status:
		what = fmt.Sprintf("%s answers %d here, this server %d", p.Validator, p.Status, res.Status)
	case p.Challenge == verify.ChallengeNone && has:
		what = p.Validator + " sends no WWW-Authenticate, this server did"
	case (p.Challenge == verify.ChallengeRFC6750 || p.Challenge == verify.ChallengeBare) && !has:
		what = p.Validator + " sends a Bearer WWW-Authenticate, this server sent none"
	case p.Challenge == verify.ChallengeRFC6750 && res.Challenge != nil && res.Challenge.ErrorCode() == "":
		what = p.Validator + " names the error in its challenge (error=\"invalid_token\"), this server did not"
	default:
		return ""
	}
	return "the answer does not look like " + p.Validator + "'s: " + what + "; the service may not run " + p.Validator + ", or something in front of it answers"
}

// cause names the claim most likely at fault: the first check the hop's
// rules fail, else what the server's challenge says, else what is wrong
// with the token on its own (its times).
func (r *Runner) cause(res *Result) *Cause {
	if p := res.Prediction; p != nil && p.Error == "" {
		for _, c := range p.Checks {
			if c.Status == verify.Fail {
				return &Cause{Claim: checkClaim(c.Name), Code: c.Code, Detail: explain.YAML.Detail(&c), Hint: explain.YAML.Hint(&c), From: "rules"}
			}
		}
	}
	if c := res.Challenge; c != nil {
		if claim := challengeClaim(c); claim != "" {
			detail := c.Description()
			if detail == "" {
				detail = c.ErrorCode()
			}
			if claim == "scp" && c.Scope() != "" {
				detail = "the server requires scope " + c.Scope()
			}
			return &Cause{Claim: claim, Detail: detail, From: "server"}
		}
	}
	if tok, err := decode.Parse(r.Token, "token", decode.Options{Now: r.now()}); err == nil {
		switch tok.Status {
		case decode.StatusExpired, decode.StatusNotYetValid:
			claim := "exp"
			if tok.Status == decode.StatusNotYetValid {
				claim = "nbf"
			}
			return &Cause{Claim: claim, Detail: "the token " + tok.StatusText, From: "token"}
		}
	}
	return nil
}

// checkClaim maps a verify check to the claim it reads.
func checkClaim(name string) string {
	switch name {
	case verify.CheckIssuer:
		return "iss"
	case verify.CheckAudience:
		return "aud"
	case verify.CheckExpiry:
		return "exp"
	case verify.CheckNotBefore:
		return "nbf"
	case verify.CheckIssuedAt:
		return "iat"
	case verify.CheckType:
		return "typ"
	case verify.CheckScopes:
		return "scp"
	case verify.CheckKey, verify.CheckSignature:
		return "signature"
	}
	return name
}

// challengeClaim guesses the claim a server's challenge complains about,
// from whole words of its error_description; "" when nothing is clear.
func challengeClaim(c *Challenge) string {
	if strings.EqualFold(c.ErrorCode(), "insufficient_scope") {
		return "scp"
	}
	words := strings.FieldsFunc(strings.ToLower(c.Description()), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
	})
	text := " " + strings.Join(words, " ") + " "
	for _, k := range []struct{ phrase, claim string }{
		{"audience", "aud"}, {"aud", "aud"}, {"audiences", "aud"},
		{"issuer", "iss"}, {"iss", "iss"},
		{"expired", "exp"}, {"expiry", "exp"}, {"exp", "exp"}, {"expiration", "exp"}, {"lifetime", "exp"},
		{"not yet valid", "nbf"}, {"not before", "nbf"}, {"nbf", "nbf"},
		{"signature", "signature"}, {"kid", "signature"}, {"signing key", "signature"},
		{"scope", "scp"}, {"scopes", "scp"}, {"scp", "scp"},
		{"typ", "typ"}, {"token type", "typ"},
	} {
		if strings.Contains(text, " "+k.phrase+" ") {
			return k.claim
		}
	}
	return ""
}

// Mask shortens a token to a few characters at each end: the first ten
// and last four of a JWT (its first ten are the public header), and at
// most a quarter of a shorter token.
func Mask(token string) string {
	n := len(token)
	head, tail := min(10, n/5), min(4, n/16)
	if n < 12 {
		head, tail = 0, 0
	}
	return token[:head] + "…" + token[n-tail:]
}

// Report is a whole chain's outcome.
type Report struct {
	Hops    []*Result `json:"hops"`
	Summary Summary   `json:"summary"`
}

// Summary counts the hops and says the outcome in one line.
type Summary struct {
	Hops          int `json:"hops"`
	Accepted      int `json:"accepted"`
	Rejected      int `json:"rejected"`
	Failed        int `json:"failed"`
	Errors        int `json:"errors"`
	NotSent       int `json:"not_sent"`
	AsExpected    int `json:"as_expected"`
	Disagreements int `json:"disagreements"`
	// OK is true when every hop answered as expected.
	OK   bool   `json:"ok"`
	Text string `json:"text"`
}

func (rep *Report) finish() {
	s := &rep.Summary
	s.Hops = len(rep.Hops)
	var firstBad, firstOff *Result
	var disagree []*Result
	for _, h := range rep.Hops {
		switch {
		case h.Verdict == Accepted:
			s.Accepted++
		case h.Verdict == Rejected:
			s.Rejected++
		case h.Verdict == NotSent:
			s.NotSent++
		case h.Verdict == Failed:
			s.Failed++
		default:
			s.Errors++
		}
		if h.AsExpected {
			s.AsExpected++
		} else if firstOff == nil {
			firstOff = h
		}
		if h.Verdict != Accepted && h.Verdict != NotSent && firstBad == nil {
			firstBad = h
		}
		if h.Agrees != nil && !*h.Agrees {
			s.Disagreements++
			disagree = append(disagree, h)
		}
	}
	s.OK = s.AsExpected == s.Hops && s.Hops > 0
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d %s accepted the token", s.Accepted, s.Hops, plural(s.Hops, "hop", "hops"))
	if firstBad != nil {
		fmt.Fprintf(&b, "; %s %s", hopRef(firstBad), badText(firstBad))
	}
	if s.NotSent > 0 {
		fmt.Fprintf(&b, "; %d not sent (--stop-on-failure)", s.NotSent)
	}
	if len(disagree) > 0 {
		whose := "its declared rules"
		if disagree[0].RulesFrom == RulesMetadata {
			whose = "the rules its metadata implies"
		}
		fmt.Fprintf(&b, "; %s: the server and %s disagree", hopRef(disagree[0]), whose)
		if len(disagree) > 1 {
			fmt.Fprintf(&b, " (and %d more)", len(disagree)-1)
		}
	}
	if firstOff != nil && firstOff != firstBad && firstOff.Verdict == Accepted {
		fmt.Fprintf(&b, "; %s answered %d, not %s", hopRef(firstOff), firstOff.Status, ExpectText(firstOff.Expected))
	}
	b.WriteByte('.')
	s.Text = b.String()
}

func hopRef(h *Result) string {
	if h.Name != "" {
		return fmt.Sprintf("hop %d (%s)", h.Index, h.Name)
	}
	return fmt.Sprintf("hop %d", h.Index)
}

func badText(h *Result) string {
	switch h.Verdict {
	case Rejected:
		t := "rejected it"
		if h.Cause != nil {
			t += ": " + h.Cause.Detail
		} else if c := h.Challenge; c != nil && c.ErrorCode() != "" {
			t += ": " + c.ErrorCode()
		}
		return t
	case Failed:
		return fmt.Sprintf("answered %d", h.Status)
	case Redirected:
		switch {
		case h.BlockedRedirect != "":
			return "redirected to another host (not followed; the token was not sent there)"
		case len(h.Redirects) > 0:
			return "redirected to a sign-in page instead of accepting the token"
		}
		return fmt.Sprintf("answered %d, a redirect jwtrace did not follow", h.Status)
	case Refused:
		return "refused the connection"
	case Timeout:
		return "did not answer in time"
	case TLSError:
		return "failed TLS: " + strings.TrimPrefix(h.Error, "TLS: ")
	}
	return "failed: " + h.Error
}

// ExpectText says which statuses a hop expects: "2xx", "200 or 201".
func ExpectText(exp []int) string {
	if len(exp) == 0 {
		return "2xx"
	}
	parts := make([]string, len(exp))
	for i, s := range exp {
		parts[i] = fmt.Sprint(s)
	}
	return strings.Join(parts, " or ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// MarshalJSON adds the parsed challenge's fields to a result.
func (res *Result) MarshalJSON() ([]byte, error) {
	type plain Result
	out := struct {
		*plain
		Challenge *challengeJSON `json:"challenge"`
	}{plain: (*plain)(res)}
	if c := res.Challenge; c != nil {
		out.Challenge = &challengeJSON{Scheme: c.Scheme, Error: c.ErrorCode(), Description: c.Description(), Scope: c.Scope(), Realm: c.Realm(), Params: c.Params}
	}
	return json.Marshal(out)
}

type challengeJSON struct {
	Scheme      string            `json:"scheme"`
	Error       string            `json:"error,omitempty"`
	Description string            `json:"error_description,omitempty"`
	Scope       string            `json:"scope,omitempty"`
	Realm       string            `json:"realm,omitempty"`
	Params      map[string]string `json:"params"`
}
