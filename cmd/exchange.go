package cmd

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/ui"
	"github.com/jwtrace/jwtrace/login"
)

// exchangeOptions are jwtrace exchange's: the client flags of login (the
// client that exchanges), and what to exchange for what.
type exchangeOptions struct {
	loginOptions
	args []string

	subjectEnv, subjectType string
	fromLogin               bool
	actorToken, actorType   string
	audiences, resources    []string
	requestedType           string
	onBehalfOf              bool
}

func newExchangeCmd(d *Deps) *cobra.Command {
	opts := &exchangeOptions{loginOptions: loginOpts(d)}
	cmd := &cobra.Command{
		Use:   "exchange [SUBJECT_TOKEN | -]",
		Short: "Exchange a token for one meant for the next service (RFC 8693 token exchange, or Azure AD on-behalf-of)",
		Long: `Exchange does what a service does for real delegation: it sends the token it
received (the subject token) to the authority's token endpoint, as a
confidential client, and gets a token meant for the next service, with the
caller recorded in act (OAuth 2.0 Token Exchange, RFC 8693 §2.1).
--on-behalf-of sends Azure AD's form instead: the jwt-bearer grant with
requested_token_use=on_behalf_of, the subject token as assertion, and the
target API named by --scope (api://billing/.default); Azure AD takes only
a subject token whose aud is the calling client.

The subject token is the argument, stdin (- or a pipe), the variable
--subject-token-env names, or, with --from-login, the token of the one
cached jwtrace login at the same authority (refreshed if it has expired;
a person's login is taken over client credentials). The client that
exchanges is --client-id with its credential: --client-secret (or
$JWTRACE_CLIENT_SECRET), --client-key FILE (private_key_jwt) or
--client-assertion, sent as discovery's token_endpoint_auth_methods_supported
allow (--client-auth to choose).

The new access token is printed on stdout and nothing else, so
TOKEN=$(jwtrace exchange ...) works; a one-line summary goes to stderr
(the audience before and after, the current actor, the expiry). --json
prints the whole response with both tokens' claims decoded, the new
token's delegation chain, and what changed claim by claim. Nothing is
cached: an exchange is asked for each time.

Exit status: 0 exchanged, 2 usage error, 3 the authority refused the
exchange (invalid_grant, invalid_target, unauthorized_client,
invalid_scope, ...) or could not be reached, 4 the authority denied it
(access_denied) or --from-login found no usable login, 130 interrupted.`,
		Example: `  jwtrace exchange --authority http://127.0.0.1:9400 --client-id jwtrace-service --client-secret jwtrace-service-secret --audience api://reports "$TOKEN"
  jwtrace token | jwtrace exchange --authority http://127.0.0.1:9400 --client-id jwtrace-service --audience api://billing -  # secret in $JWTRACE_CLIENT_SECRET
  jwtrace exchange --from-login --authority http://127.0.0.1:9400 --client-id jwtrace-service --audience api://reports --json | jq .changes
  jwtrace exchange --on-behalf-of --authority https://login.microsoftonline.com/$TENANT/v2.0 --client-id $MIDDLE_TIER --scope api://billing/.default --subject-token-env TOKEN
  jwtrace exchange --token-endpoint https://idp.example/oauth/token --client-id svc --client-key svc.pem --resource https://billing.example/ --actor-token env:SVC_TOKEN --subject-token-env TOKEN`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return &usageError{fmt.Errorf("%s takes one subject token, got %d arguments", cmd.CommandPath(), len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.args = args
			return runExchange(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	opts.bindClient(f)
	f.StringVar(&opts.req.TokenEndpoint, "token-endpoint", "", "token endpoint `URL` (without discovery)")
	f.StringVar(&opts.subjectEnv, "subject-token-env", "", "read the subject token from the environment variable `NAME`")
	f.BoolVar(&opts.fromLogin, "from-login", false, "exchange the token of the cached jwtrace login at the same authority")
	f.StringVar(&opts.subjectType, "subject-token-type", "", "the subject token's `TYPE`: access_token (default), jwt, id_token, refresh_token, or a URI")
	f.StringVar(&opts.actorToken, "actor-token", "", "the acting party's token (RFC 8693 actor_token): `TOKEN`, env:NAME, or - for stdin")
	f.StringVar(&opts.actorType, "actor-token-type", "", "the actor token's `TYPE` (default access_token)")
	f.StringArrayVar(&opts.audiences, "audience", nil, "ask for a token for `AUD` (repeatable; RFC 8693 audience)")
	f.StringArrayVar(&opts.resources, "resource", nil, "ask for a token for the resource `URI` (repeatable; RFC 8707)")
	f.StringSliceVar(&opts.scopes, "scope", nil, "`SCOPES` to ask for (space- or comma-separated, or repeated); with --on-behalf-of the target API's, api://billing/.default")
	f.StringVar(&opts.requestedType, "requested-token-type", "", "the `TYPE` of token to ask for: access_token, jwt, ... (default: the authority's choice)")
	f.BoolVar(&opts.onBehalfOf, "on-behalf-of", false, "send Azure AD's on-behalf-of request (jwt-bearer grant) instead of a token exchange")
	f.BoolVar(&opts.json, "json", false, "print the whole response as JSON, with both tokens decoded and what changed")
	cmd.SetFlagErrorFunc(flagErrors)
	for _, name := range []string{"subject-token-type", "actor-token-type", "requested-token-type"} {
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(login.TokenTypes, cobra.ShellCompDirectiveNoFileComp))
	}
	_ = cmd.RegisterFlagCompletionFunc("client-auth", cobra.FixedCompletions(login.AuthMethods, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runExchange(ctx context.Context, opts *exchangeOptions) error {
	s := opts.streams
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.req.Authority == "" && opts.req.TokenEndpoint == "" {
		return &usageError{errors.New("no authority: give --authority URL (or --token-endpoint URL)")}
	}
	stdin := 0
	for _, v := range []string{opts.actorToken, opts.clientAssertion} {
		if v == "-" {
			stdin++
		}
	}
	if (len(opts.args) == 1 && opts.args[0] == "-") || (len(opts.args) == 0 && opts.subjectEnv == "" && !opts.fromLogin) {
		stdin++ // the subject token: - or a pipe
	}
	if stdin > 1 {
		return &usageError{errors.New("only one of the subject token, --actor-token and --client-assertion can come from stdin (-)")}
	}
	c, err := opts.client()
	if err != nil {
		return err
	}
	subject, err := opts.subject(ctx, c)
	if err != nil {
		return err
	}
	actor := ""
	if a := opts.actorToken; a != "" {
		switch {
		case strings.HasPrefix(a, "env:"):
			v := s.Getenv(strings.TrimPrefix(a, "env:"))
			if v == "" {
				return &usageError{fmt.Errorf("--actor-token %s: the variable is empty or not set", a)}
			}
			actor, err = tokenArgument(s, []string{v}, "actor token")
		default:
			actor, err = tokenArgument(s, []string{a}, "actor token")
		}
		if err != nil {
			return err
		}
	}
	req := &login.ExchangeRequest{
		Client:       opts.req,
		SubjectToken: subject, SubjectTokenType: opts.subjectType,
		ActorToken: actor, ActorTokenType: opts.actorType,
		Audiences: opts.audiences, Resources: opts.resources,
		RequestedTokenType: opts.requestedType,
		OnBehalfOf:         opts.onBehalfOf,
	}
	for _, sc := range opts.scopes {
		req.Scopes = append(req.Scopes, strings.Fields(sc)...)
	}
	x, err := c.Exchange(ctx, req)
	if err != nil {
		return err
	}
	now := opts.now()
	for _, n := range x.Notes {
		fmt.Fprintln(s.ErrOut, "note: "+ui.Safe(n))
	}
	fmt.Fprintln(s.ErrOut, exchangeSummary(x, subject, now))
	if opts.json {
		return ui.WriteJSON(s.Out, newExchangeJSON(x, subject, now), s.StdoutIsTerminal())
	}
	_, err = fmt.Fprintln(s.Out, x.AccessToken)
	return err
}

// subject is the token to exchange: the argument (or stdin for - or a
// pipe), --subject-token-env, or --from-login; exactly one of them.
func (opts *exchangeOptions) subject(ctx context.Context, c *login.Client) (string, error) {
	s := opts.streams
	given := 0
	if len(opts.args) == 1 {
		given++
	}
	if opts.subjectEnv != "" {
		given++
	}
	if opts.fromLogin {
		given++
	}
	const ways = "as an argument, - for stdin, --subject-token-env NAME, or --from-login"
	switch {
	case given > 1:
		return "", &usageError{errors.New("give the subject token one way: " + ways)}
	case opts.fromLogin:
		return opts.loginToken(ctx, c)
	case opts.subjectEnv != "":
		v := s.Getenv(opts.subjectEnv)
		if v == "" {
			return "", &usageError{fmt.Errorf("--subject-token-env %s: the variable is empty or not set", opts.subjectEnv)}
		}
		return tokenArgument(s, []string{v}, "subject token")
	case given == 0 && s.StdinIsTerminal():
		return "", &usageError{errors.New("no subject token: give the token to exchange " + ways)}
	}
	return tokenArgument(s, opts.args, "subject token")
}

// loginToken is --from-login: the token of the cached login at the
// exchange's authority (its token endpoint when only that is given),
// through login's cache, as jwtrace token gets it (refreshed when it has
// expired). A person's login (device, auth-code) is taken over client
// credentials; with several, they are listed. The exchanging client's
// credential is passed on only to a login of the same client.
func (opts *exchangeOptions) loginToken(ctx context.Context, c *login.Client) (string, error) {
	s := opts.streams
	dir := cacheDir(s)
	if dir == "" {
		return "", &inputError{errors.New("--from-login: no cache directory (neither $JWTRACE_CACHE_DIR nor a user cache directory), so no cached login")}
	}
	cache := &login.Cache{Dir: filepath.Join(dir, "tokens")}
	list, err := cache.List()
	if err != nil {
		return "", err
	}
	where := opts.req.Authority
	same := func(l login.CachedLogin) bool {
		if where != "" {
			return strings.TrimRight(l.Authority, "/") == strings.TrimRight(where, "/")
		}
		return l.TokenEndpoint == opts.req.TokenEndpoint
	}
	if where == "" {
		where = opts.req.TokenEndpoint
	}
	var people, services []login.CachedLogin
	for _, l := range list {
		if !same(l) || login.CacheKey(l.Request()) != l.Key {
			continue
		}
		if l.Grant == login.GrantClientCredentials {
			services = append(services, l)
		} else {
			people = append(people, l)
		}
	}
	match := people
	if len(match) == 0 {
		match = services
	}
	switch len(match) {
	case 0:
		return "", &login.DeniedError{Code: "login_required",
			Description: "--from-login: no cached login at " + ui.Safe(where) + "; run jwtrace login --authority " + shellQuote(where) + " first, or give the subject token"}
	case 1:
	default:
		lines := []string{fmt.Sprintf("--from-login: %d cached logins at %s; print the one to exchange with jwtrace token and pipe it to jwtrace exchange -:", len(match), ui.Safe(where))}
		for _, l := range match {
			lines = append(lines, "  jwtrace token "+candidateFlags(l))
		}
		return "", &usageError{errors.New(strings.Join(lines, "\n"))}
	}
	req := match[0].Request()
	req.NoPrompt = true
	if req.ClientID == opts.req.ClientID {
		req.ClientSecret, req.ClientKey, req.ClientAssertion, req.ClientAuth = opts.req.ClientSecret, opts.req.ClientKey, opts.req.ClientAssertion, opts.req.ClientAuth
	}
	lc := &login.Client{HTTP: c.HTTP, Fetcher: c.Fetcher, Now: c.Now, Cache: cache}
	tok, err := lc.Login(ctx, req)
	if err != nil {
		return "", err
	}
	return tok.AccessToken, nil
}

// exchangeSummary is the stderr line after an exchange: "exchanged: aud
// billing → api://reports, act jwtrace-service, expires in 1h".
func exchangeSummary(x *login.Exchanged, subject string, now time.Time) string {
	verb := "exchanged"
	if x.Grant == login.GrantJWTBearer {
		verb = "exchanged on behalf of"
	}
	var parts []string
	before, after := summarize(subject, now), summarize(x.AccessToken, now)
	if after != nil {
		switch {
		case after.aud != "" && before != nil && before.aud != "" && before.aud != after.aud:
			parts = append(parts, "aud "+ui.Safe(before.aud)+" → "+ui.Safe(after.aud))
		case after.aud != "":
			parts = append(parts, "aud "+ui.Safe(after.aud))
		}
		if d := delegationOf(x.AccessToken, now); d != nil && d.Current() != nil {
			cur := d.Current()
			act := "act " + ui.Safe(cur.Name())
			if len(d.Actors) > 1 {
				act += " (" + ui.Safe(d.Chain) + ")"
			}
			parts = append(parts, act)
		} else if azp, ok := after.claims.String("azp"); ok && azp != "" {
			parts = append(parts, "azp "+ui.Safe(azp))
		}
	}
	if x.Scope != "" {
		parts = append(parts, "scope "+ui.Safe(x.Scope))
	}
	if x.IssuedTokenType != "" && x.IssuedTokenType != login.TokenTypeAccessToken {
		parts = append(parts, "issued "+ui.Safe(login.ShortTokenType(x.IssuedTokenType)))
	}
	switch {
	case !x.Expiry.IsZero():
		left := x.Expiry.Sub(now)
		if left > 10*time.Minute {
			left = left.Round(time.Minute) // "1h", not "59m59s", as loginSummary
		}
		if left > 0 {
			parts = append(parts, "expires in "+decode.HumanSeconds(int64(left/time.Second)))
		} else {
			parts = append(parts, "expired "+decode.HumanSeconds(int64(-left/time.Second))+" ago")
		}
	default:
		parts = append(parts, "no stated expiry")
	}
	if after == nil {
		parts = append(parts, "opaque token (not a JWT)")
	}
	return verb + ": " + strings.Join(parts, ", ")
}

// delegationOf is a JWT's delegation (decode.Delegation), nil for an
// opaque token or one without act and may_act.
func delegationOf(compact string, now time.Time) *decode.Delegation {
	t, err := decode.Parse(compact, "token", decode.Options{Now: now})
	if err != nil {
		return nil
	}
	return t.Delegation()
}

// exchangeJSON is exchange --json's object: the response, both tokens'
// claims, the new token's delegation, and what changed.
type exchangeJSON struct {
	Grant           string `json:"grant_type"`
	Endpoint        string `json:"token_endpoint"`
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type,omitempty"`
	TokenType       string `json:"token_type,omitempty"`
	ExpiresIn       int64  `json:"expires_in,omitempty"`
	Expiry          string `json:"expiry,omitempty"`
	Scope           string `json:"scope,omitempty"`
	RefreshToken    string `json:"refresh_token,omitempty"`
	// The claims of the subject token and of the new token; absent for an
	// opaque token.
	SubjectClaims *decode.Object     `json:"subject_token_claims,omitempty"`
	AccessClaims  *decode.Object     `json:"access_token_claims,omitempty"`
	Delegation    *decode.Delegation `json:"delegation,omitempty"`
	// Changes are the claims that differ, Unchanged those that do not;
	// both null unless both tokens are JWTs.
	Changes   []decode.ClaimChange `json:"changes"`
	Unchanged []string             `json:"unchanged"`
	Notes     []string             `json:"notes,omitempty"`
}

func newExchangeJSON(x *login.Exchanged, subject string, now time.Time) *exchangeJSON {
	j := &exchangeJSON{Grant: x.Grant, Endpoint: x.Endpoint, AccessToken: x.AccessToken, IssuedTokenType: x.IssuedTokenType,
		TokenType: x.TokenType, ExpiresIn: x.ExpiresIn, Scope: x.Scope, RefreshToken: x.RefreshToken, Notes: x.Notes}
	if !x.Expiry.IsZero() {
		j.Expiry = x.Expiry.UTC().Format(time.RFC3339)
	}
	if s := summarize(subject, now); s != nil {
		j.SubjectClaims = s.claims
	}
	if s := summarize(x.AccessToken, now); s != nil {
		j.AccessClaims = s.claims
		j.Delegation = delegationOf(x.AccessToken, now)
	}
	if j.SubjectClaims != nil && j.AccessClaims != nil {
		j.Changes, j.Unchanged = decode.CompareClaims(j.SubjectClaims, j.AccessClaims)
		if j.Changes == nil {
			j.Changes = []decode.ClaimChange{}
		}
		if j.Unchanged == nil {
			j.Unchanged = []string{}
		}
	}
	return j
}
