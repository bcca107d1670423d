package chain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/textsafe"
	"github.com/jwtrace/jwtrace/verify"
)

// The modes of a hop's exchange:.
const (
	// ModeTokenExchange is OAuth 2.0 Token Exchange (RFC 8693 §2.1).
	ModeTokenExchange = "token-exchange"
	// ModeOnBehalfOf is Azure AD's on-behalf-of flow: the jwt-bearer
	// grant (RFC 7523 §2.1) with requested_token_use=on_behalf_of
	// (learn.microsoft.com, "Microsoft identity platform and OAuth 2.0
	// On-Behalf-Of flow").
	ModeOnBehalfOf = "on-behalf-of"
)

// Exchange is what a hop declares under exchange:: before the hop is
// called, the token the previous hop received (for hop 1, the chain's
// token) is exchanged at the authority, as the previous service would do,
// and the issued token is sent instead (real delegation, instead of
// passing one token along).
type Exchange struct {
	Mode string
	// Authority (discovery) or TokenEndpoint is where the exchange is
	// sent: only there.
	Authority, TokenEndpoint string
	// ClientID and ClientSecret are the client that exchanges: the
	// previous service.
	ClientID, ClientSecret string
	// Audiences, Resources and Scopes are the targets asked for;
	// RequestedTokenType is requested_token_type ("" for the server's
	// choice).
	Audiences, Resources, Scopes []string
	RequestedTokenType           string
}

// Where is the authority, or the token endpoint, the exchange is sent to.
func (x *Exchange) Where() string {
	if x.Authority != "" {
		return x.Authority
	}
	return x.TokenEndpoint
}

// Target is what the exchange asks for in words: "audience api://billing".
func (x *Exchange) Target() string {
	var parts []string
	if len(x.Audiences) > 0 {
		parts = append(parts, "audience "+strings.Join(x.Audiences, " "))
	}
	if len(x.Resources) > 0 {
		parts = append(parts, "resource "+strings.Join(x.Resources, " "))
	}
	if len(x.Scopes) > 0 {
		parts = append(parts, "scope "+strings.Join(x.Scopes, " "))
	}
	return strings.Join(parts, ", ")
}

// Exchanger performs an exchange: it sends subject to x's authority or
// token endpoint, authenticated as x's client, and returns the issued
// token. An OAuth error answer should be an *ExchangeError. cmd implements
// it with login.Client.Exchange (chain does not import login).
type Exchanger func(ctx context.Context, x *Exchange, subject string) (string, error)

// ExchangeError is an exchange the authority refused: its OAuth error
// (RFC 6749 §5.2, RFC 8693 §2.2.2) and the whole message.
type ExchangeError struct {
	Code, Description string
	Err               error
}

func (e *ExchangeError) Error() string { return e.Err.Error() }
func (e *ExchangeError) Unwrap() error { return e.Err }

// Where a hop's token came from (HopToken.From).
const (
	FromChain    = "chain"
	FromExchange = "exchange"
	FromPrevious = "previous"
)

// HopToken is the token a hop received, decoded (not verified).
type HopToken struct {
	// Token is the token masked (Mask), unless Reveal was called
	// (--show-token).
	Token  string `json:"token"`
	Masked bool   `json:"masked"`
	JWT    bool   `json:"jwt"`
	Sub    string `json:"sub,omitempty"`
	// Aud is the aud claim as a list; Scope scope (or scp), space
	// separated.
	Aud   []string `json:"aud,omitempty"`
	Scope string   `json:"scope,omitempty"`
	// Delegation is the act chain (decode's), nil without act or
	// may_act.
	Delegation *decode.Delegation `json:"delegation,omitempty"`
	// From is FromChain, FromExchange or FromPrevious; FromText says it
	// in words: "the chain's token", "exchanged at URL by CLIENT
	// (token-exchange)", "the token hop 2 (billing) received (passed
	// on)".
	From     string `json:"from"`
	FromText string `json:"from_text"`
	// Exchange is the exchange the hop declared, when it was performed.
	Exchange *ExchangeInfo `json:"exchange,omitempty"`

	raw string
}

// Reveal shows the whole token (--show-token).
func (t *HopToken) Reveal() {
	if t != nil && t.raw != "" {
		t.Token, t.Masked = t.raw, false
	}
}

// ExchangeInfo is one performed exchange, for the report.
type ExchangeInfo struct {
	Mode      string   `json:"mode"`
	At        string   `json:"at"`
	ClientID  string   `json:"client_id"`
	Audiences []string `json:"audience,omitempty"`
	Resources []string `json:"resource,omitempty"`
	Scopes    []string `json:"scope,omitempty"`
	// Error is why the exchange failed (masked and cut; the renderer
	// escapes it), with the OAuth error code and description.
	Error       string `json:"error,omitempty"`
	ErrorCode   string `json:"error_code,omitempty"`
	Description string `json:"error_description,omitempty"`
}

// maxExchangeError bounds an exchange error's text in the report.
const maxExchangeError = 600

// flow carries the token from hop to hop through a Run: the chain's token,
// passed on, or exchanged where a hop declares exchange: (unless
// PassThrough).
type flow struct {
	r        *Runner
	hops     []Hop
	original string
	// tokens are every token of the chain so far (the chain's first),
	// masked wherever a server or the authority echoes one.
	tokens []string
	// cur is the token the previous hop received, and curFrom which hop
	// that was (0: the chain's token); broken says an exchange failed,
	// so there is no token to pass on.
	cur     string
	curFrom int
	broken  int
}

func (r *Runner) startFlow(hops []Hop) *flow {
	return &flow{r: r, hops: hops, original: r.Token, tokens: []string{r.Token}, cur: r.Token}
}

// end gives the Runner its own token back.
func (f *flow) end() {
	f.r.Token, f.r.others = f.original, nil
}

// send gets hop i's token (exchanging it if the hop says so), sends the
// hop with it (hop is Runner.Hop), and adds what it received and the relay
// note to the result.
func (f *flow) send(ctx context.Context, i int, hop func(context.Context, int, *Hop) *Result) *Result {
	h := &f.hops[i]
	r := f.r
	if f.broken > 0 {
		res := &Result{Index: i + 1, Name: h.Name, Method: h.Method, URL: h.URL, Expected: h.Expect, Verdict: Error,
			Error: fmt.Sprintf("not sent: %s's exchange failed, so there is no token to pass on", hopName(f.hops, f.broken-1))}
		if res.Expected == nil {
			res.Expected = []int{}
		}
		return res
	}
	x := h.Exchange
	if r.PassThrough {
		x = nil
	}
	tok := f.cur
	var info *ExchangeInfo
	if x != nil {
		info = &ExchangeInfo{Mode: x.Mode, At: x.Where(), ClientID: x.ClientID, Audiences: x.Audiences, Resources: x.Resources, Scopes: x.Scopes}
		var err error
		if r.Exchanger == nil {
			err = errors.New("jwtrace cannot exchange here (no exchanger)")
		} else {
			tok, err = r.Exchanger(ctx, x, f.cur)
		}
		if err == nil && tok == "" {
			err = errors.New("the authority issued an empty token")
		}
		if err != nil {
			return f.failed(i, info, err)
		}
		if !slices.Contains(f.tokens, tok) {
			f.tokens = append(f.tokens, tok)
		}
	}
	r.Token = tok
	r.others = f.maskers(tok)
	res := hop(ctx, i+1, h)
	r.maskOthersBody(res)
	res.Received = f.received(i, tok, info)
	res.Relay = relayNote(f.hops, i, res.Received.Aud)
	f.cur, f.curFrom = tok, i+1
	return res
}

// failed is hop i's result when its exchange failed: the hop was not
// called.
func (f *flow) failed(i int, info *ExchangeInfo, err error) *Result {
	h := &f.hops[i]
	f.r.Token, f.r.others = f.cur, f.maskers(f.cur)
	msg := textsafe.Cut(f.r.mask(err.Error()), maxExchangeError)
	info.Error = msg
	var xe *ExchangeError
	if errors.As(err, &xe) {
		info.ErrorCode = textsafe.Cut(f.r.mask(xe.Code), 80)
		info.Description = textsafe.Cut(f.r.mask(xe.Description), maxExchangeError)
	}
	f.broken = i + 1
	res := &Result{Index: i + 1, Name: h.Name, Method: h.Method, URL: h.URL, Expected: h.Expect, Verdict: Error,
		Error: "the exchange before this hop failed (the hop was not called): " + msg}
	if res.Expected == nil {
		res.Expected = []int{}
	}
	res.Received = &HopToken{From: FromExchange, FromText: fmt.Sprintf("exchange at %s by %s (%s) failed", info.At, info.ClientID, info.Mode), Exchange: info, Masked: true}
	return res
}

// maskers are the maskers of the chain's tokens other than current.
func (f *flow) maskers(current string) []*masker {
	var out []*masker
	for _, t := range f.tokens {
		if t != current && t != "" {
			out = append(out, f.r.maskerFor(t))
		}
	}
	return out
}

// maskerFor is the masker of one of the chain's tokens, built once.
func (r *Runner) maskerFor(token string) *masker {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.maskers[token]; ok {
		return m
	}
	if r.maskers == nil {
		r.maskers = map[string]*masker{}
	}
	m := newMasker(token)
	r.maskers[token] = m
	return m
}

// maskOthers hides the chain's other tokens in s.
func (r *Runner) maskOthers(s string) string {
	for _, m := range r.others {
		s = m.mask(s)
	}
	return s
}

// maskOthersBody hides the chain's other tokens in a kept body (send
// masks the hop's own), and drops a tail that begins one of them: an echo
// cut short by --show-body.
func (r *Runner) maskOthersBody(res *Result) {
	if len(r.others) == 0 || res.Body == "" {
		return
	}
	b := r.maskOthers(res.Body)
	if res.BodyTruncated {
		for _, m := range r.others {
			for k := min(len(m.token), len(b)); k >= 8; k-- {
				if strings.HasSuffix(b, m.token[:k]) {
					b = b[:len(b)-k]
					break
				}
			}
		}
	}
	res.Body = b
}

func (f *flow) received(i int, tok string, info *ExchangeInfo) *HopToken {
	ht := describeToken(tok)
	switch {
	case info != nil:
		ht.From, ht.FromText, ht.Exchange = FromExchange, exchangedText(info), info
	case tok == f.original && f.curFrom == 0 || tok == f.original && !f.anyExchanged():
		ht.From, ht.FromText = FromChain, "the chain's token"
	default:
		ht.From, ht.FromText = FromPrevious, "the token "+hopName(f.hops, f.curFrom-1)+" received (passed on)"
	}
	return ht
}

func (f *flow) anyExchanged() bool { return len(f.tokens) > 1 }

func exchangedText(info *ExchangeInfo) string {
	return fmt.Sprintf("exchanged at %s by %s (%s)", info.At, info.ClientID, info.Mode)
}

// describeToken decodes tok for the report, masked.
func describeToken(tok string) *HopToken {
	ht := &HopToken{Token: Mask(tok), Masked: true, raw: tok}
	t, err := decode.Parse(tok, "token", decode.Options{})
	if err != nil || t.Claims == nil {
		return ht
	}
	ht.JWT = true
	ht.Sub, _ = t.Claims.String("sub")
	ht.Aud = tokenClaimList(t.Claims, "aud")
	if s, ok := t.Claims.String("scope"); ok {
		ht.Scope = s
	} else if l := tokenClaimList(t.Claims, "scp"); len(l) > 0 {
		ht.Scope = strings.Join(l, " ")
	}
	ht.Delegation = t.Delegation()
	return ht
}

// tokenClaimList reads a claim that is a string or a list of strings.
func tokenClaimList(o *decode.Object, name string) []string {
	if s, ok := o.String(name); ok {
		return []string{s}
	}
	raw, ok := o.Get(name)
	if !ok {
		return nil
	}
	var l []string
	if json.Unmarshal(raw, &l) != nil {
		return nil
	}
	return l
}

// hopName is "hop 2 (billing)" for hops[i].
func hopName(hops []Hop, i int) string {
	if i < 0 || i >= len(hops) {
		return "the chain"
	}
	if hops[i].Name != "" {
		return fmt.Sprintf("hop %d (%s)", i+1, hops[i].Name)
	}
	return fmt.Sprintf("hop %d", i+1)
}

// declaredAudience is what a hop's rules: say its audience is.
func declaredAudience(h *Hop) []string {
	if h.Rules == nil {
		return nil
	}
	return h.Rules.Policy.Audience.Value
}

// relayNote is the relay note of hop i, which received a token with
// audience aud: "" when the token is meant for it (or nothing is known).
//
// A token whose audience is another service's is the pass-through
// pattern: a service sent on the token it was called with. Microsoft's
// guidance ("Access tokens in the Microsoft identity platform", "Validate
// tokens": a resource accepts only tokens whose aud is itself) and RFC
// 8707 §1 (an access token restricted to the resource it is meant for)
// say not to; the fix is to exchange the token for one meant for this hop
// (RFC 8693).
func relayNote(hops []Hop, i int, aud []string) string {
	if len(aud) == 0 {
		return ""
	}
	own := declaredAudience(&hops[i])
	if len(own) > 0 && overlaps(aud, own) {
		return ""
	}
	other := -1
	for j := range hops {
		if j != i && overlaps(aud, declaredAudience(&hops[j])) {
			other = j
			break
		}
	}
	if len(own) == 0 && other < 0 {
		return ""
	}
	what := "a token for " + strings.Join(aud, " ")
	if other >= 0 {
		what = "a token meant for " + hopName(hops, other) + " (aud " + strings.Join(aud, " ") + ")"
	}
	target := "<this service's audience>"
	if len(own) > 0 {
		what += ", not for its declared audience " + strings.Join(own, " ")
		target = own[0]
	}
	return fmt.Sprintf("%s received %s: the pass-through pattern (a service sent on the token it was called with); "+
		"have the caller exchange it for one meant for this hop: exchange: {mode: token-exchange, audience: %s}", hopName(hops, i), what, target)
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// check validates the exchange before anything is sent.
func (x *Exchange) check(allowHTTP bool) error {
	if x == nil {
		return nil
	}
	for _, u := range []struct{ key, v string }{{"authority", x.Authority}, {"token_endpoint", x.TokenEndpoint}} {
		if u.v == "" {
			continue
		}
		if _, err := verify.CheckURL(u.v, allowHTTP); err != nil {
			return fmt.Errorf("%s: %w", u.key, err)
		}
	}
	return nil
}

// fileExchange is a hop's exchange: in a chain file.
type fileExchange struct {
	Mode               string  `yaml:"mode"`
	Authority          string  `yaml:"authority"`
	TokenEndpoint      string  `yaml:"token_endpoint"`
	ClientID           string  `yaml:"client_id"`
	ClientSecret       string  `yaml:"client_secret"`
	Audience           strList `yaml:"audience"`
	Resource           strList `yaml:"resource"`
	Scope              strList `yaml:"scope"`
	RequestedTokenType string  `yaml:"requested_token_type"`
}

// strList takes a string or a list of strings.
type strList []string

func (l *strList) UnmarshalYAML(node ast.Node) error {
	if node.Type() != ast.SequenceType {
		var one string
		if err := yaml.NodeToValue(node, &one); err == nil {
			*l = strList{one}
			return nil
		}
	}
	var many []string
	if err := yaml.NodeToValue(node, &many); err != nil {
		return positioned(node, "want a string or a list of strings, not "+textsafe.Cut(node.String(), 40))
	}
	*l = many
	return nil
}

// build is hop i's Exchange, its values expanded (x), its problems at
// their keys' positions in tree.
func (fe *fileExchange) build(i int, tree *ast.File, x *expander) (*Exchange, error) {
	if fe == nil {
		return nil, nil
	}
	at := func(key string) string {
		path := fmt.Sprintf("$.hops[%d].exchange", i)
		if key != "" {
			path += "." + key
		}
		if n := nodeAt(tree, path); n != nil {
			if tk := n.GetToken(); tk != nil && tk.Position != nil {
				return fmt.Sprintf("[%d:%d] exchange: ", tk.Position.Line, tk.Position.Column)
			}
		}
		return "exchange: "
	}
	fail := func(key, msg string) (*Exchange, error) {
		if n := nodeAt(tree, fmt.Sprintf("$.hops[%d].exchange.%s", i, key)); n == nil {
			key = ""
		}
		return nil, errors.New(at(key) + msg)
	}
	switch fe.Mode {
	case ModeTokenExchange, ModeOnBehalfOf:
	case "":
		return fail("", "mode is missing: give mode: token-exchange (RFC 8693) or mode: on-behalf-of (Azure AD)")
	default:
		return fail("mode", fmt.Sprintf("mode %q is not a mode: give token-exchange (RFC 8693) or on-behalf-of (Azure AD)", textsafe.Cut(fe.Mode, 40)))
	}
	switch {
	case fe.Authority == "" && fe.TokenEndpoint == "":
		return fail("", "say where to exchange: authority: (its discovery names the token endpoint) or token_endpoint:")
	case fe.Authority != "" && fe.TokenEndpoint != "":
		return fail("token_endpoint", "give authority or token_endpoint, not both")
	case fe.ClientID == "":
		return fail("", "client_id is missing: the client that exchanges (the service that calls this hop)")
	}
	if fe.ClientSecret != "" && !strings.Contains(fe.ClientSecret, "${") {
		return fail("client_secret", "client_secret: give it as ${NAME}, taken from the environment: a secret written in a chain file ends up where the file goes")
	}
	ex := &Exchange{Mode: fe.Mode, Authority: x.expand(fe.Authority), TokenEndpoint: x.expand(fe.TokenEndpoint),
		ClientID: x.expand(fe.ClientID), ClientSecret: x.expand(fe.ClientSecret), RequestedTokenType: x.expand(fe.RequestedTokenType)}
	for _, l := range []struct {
		src strList
		dst *[]string
	}{{fe.Audience, &ex.Audiences}, {fe.Resource, &ex.Resources}, {fe.Scope, &ex.Scopes}} {
		for _, v := range l.src {
			for _, w := range strings.Fields(x.expand(v)) {
				*l.dst = append(*l.dst, w)
			}
		}
	}
	if fe.Mode == ModeOnBehalfOf {
		// Azure AD's request names the target API by scope only
		// (api://billing/.default); it has no audience, resource or
		// token types.
		for _, k := range []struct {
			key string
			set bool
		}{{"audience", len(fe.Audience) > 0}, {"resource", len(fe.Resource) > 0}, {"requested_token_type", fe.RequestedTokenType != ""}} {
			if k.set {
				return fail(k.key, k.key+": on-behalf-of has none; name the target API by scope: (api://billing/.default)")
			}
		}
		if len(ex.Scopes) == 0 {
			return fail("", "on-behalf-of needs scope: the API the new token is for (api://billing/.default)")
		}
	} else if len(ex.Audiences)+len(ex.Resources) == 0 {
		return fail("", "token-exchange needs audience: (or resource:): the service the new token is for")
	}
	return ex, nil
}
