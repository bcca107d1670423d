package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jwtrace/jwtrace/chain"
	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/report"
	"github.com/jwtrace/jwtrace/internal/ui"
	"github.com/jwtrace/jwtrace/login"
	"github.com/jwtrace/jwtrace/verify"
)

type chainOptions struct {
	// loginFlags are the login flags, which count only with --login.
	loginFlags []*pflag.Flag
	streams    *ui.Streams
	now        func() time.Time

	file    string
	method  string
	headers []string
	rules   []string
	data    string
	expect  []int

	token, tokenFile, tokenEnv string
	useLogin                   bool
	login                      loginOptions

	showToken     bool
	bodyBytes     int
	stopOnFailure bool
	discover      bool
	compare       bool
	json          bool
	timeout       time.Duration
	http          httpFlags
	// reports are --junit, --html and --annotate.
	reports report.ChainFlags
}

// defaultBodyBytes is what --show-body alone keeps of a failing body.
const defaultBodyBytes = 512

func newChainCmd(d *Deps) *cobra.Command {
	s, now := d.Streams, d.Now
	opts := &chainOptions{streams: s, now: now}
	opts.login.streams, opts.login.now = s, now
	opts.login.req.NoPrompt = true
	cmd := &cobra.Command{
		Use:   "chain [URL...]",
		Short: "Send one bearer token through a list of services and report every hop",
		Long: `Chain sends the same bearer token to each service in turn, the way a token
is passed from service to service, and reports for each hop: the status, the
time, the server's WWW-Authenticate challenge (error, error_description,
scope, realm) and a verdict (accepted, rejected, failed, or an error: refused,
timeout, TLS).

Hops come from the arguments (with -X, -H, -d and --expect for all of them)
or from a chain file (--file chain.yaml), where each hop can also declare the
rules it enforces: issuer, audience, algorithms, scopes, typ, required claims,
and where its keys come from (authority or jwks_url). For such a hop jwtrace
predicts the answer with verify's checks and marks loudly a hop where the
server and its declared rules disagree. When a hop rejects the token, jwtrace
names the claim most likely at fault.

When a hop's challenge names its OAuth 2.0 Protected Resource Metadata
(resource_metadata, RFC 9728), or for every hop with --discover (the
well-known URL under the hop's URL, RFC 9728 §3.1), jwtrace reads it (without
the token, only from the hop's host or one you named) and shows its resource,
authorization servers, scopes and algorithms. A hop that declares no rules is
then predicted from it (issuer among its authorization servers, audience its
resource, keys from that authority), and any hop is told what the token lacks
for it (issuer, audience, a scope its challenge requires).

A chain file's hop may declare exchange: (mode token-exchange, RFC 8693, or
on-behalf-of, Azure AD; authority or token_endpoint, client_id,
client_secret from ${VAR}, audience, resource, scope): before that hop,
jwtrace exchanges the token the previous hop received, as the previous
service would, and sends the issued token instead. Each hop's report shows
the token it received (aud, scope, the act chain) and where it came from; a
relay note marks a hop sent a token meant for another service. --compare
runs the file pass-through and with the exchanges, side by side.

The token comes from --token (- for stdin), --token-file, --token-env NAME,
$JWTRACE_TOKEN, stdin, or the login cache with --login and the login flags
(--authority, --client-id, --scope, ...; like jwtrace token, it never asks a
person). It is masked in all output unless --show-token, also where a
server echoes it percent-, form-, JSON- or base64-encoded. Redirects are
followed only on the same host: the token is never sent to another one.

Exit status: 0 every hop answered as expected (by default any 2xx), 1 one
did not, 2 usage or input error; with --login also 3 the authority could
not be reached and 4 no cached login (run jwtrace login first).`,
		Example: `  jwtrace chain --token-file token.jwt http://127.0.0.1:8081/workouts http://127.0.0.1:8083/billing
  jwtrace chain --file chain.yaml --token-env TOKEN
  jwtrace token --authority http://127.0.0.1:9400 --client-id jwtrace | jwtrace chain -f chain.yaml
  jwtrace chain --login --authority http://127.0.0.1:9400 --client-id jwtrace --file chain.yaml --json
  jwtrace chain -X POST -H 'Content-Type: application/json' -d @entry.json --expect 201 --token-file t.jwt https://api.example/entries`,
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := chainReport(cmd.Context(), opts, args)
			if d.chainReport != nil {
				d.chainReport(rep)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.file, "file", "f", "", "read the hops from the chain `FILE` (YAML)")
	f.StringVarP(&opts.method, "request", "X", "", "HTTP `METHOD` for the argument hops (default GET)")
	f.StringArrayVarP(&opts.headers, "header", "H", nil, "add the header `'Name: value'` to the argument hops (repeatable)")
	f.StringVarP(&opts.data, "data", "d", "", "send `DATA` as the body of the argument hops (@FILE reads a file)")
	f.IntSliceVar(&opts.expect, "expect", nil, "expected `STATUSES` of the argument hops (default: any 2xx)")
	f.StringArrayVar(&opts.rules, "rule", nil, "declare a rule of the argument hops, `KEY=VALUE` with a chain file's rule key: authority, jwks_url, issuer, tenant, audience, algs, typ, scopes, require, leeway, allow_no_exp (repeatable)")
	f.StringVar(&opts.token, "token", "", "the bearer `TOKEN` (- reads stdin; other users can see arguments in the process list)")
	f.StringVar(&opts.tokenFile, "token-file", "", "read the token from `FILE` (- for stdin)")
	f.StringVar(&opts.tokenEnv, "token-env", "", "read the token from the environment variable `NAME`")
	f.BoolVar(&opts.useLogin, "login", false, "use the token cached by jwtrace login for the login flags (--authority, --client-id, ...)")
	f.BoolVar(&opts.showToken, "show-token", false, "print the token unmasked")
	f.IntVar(&opts.bodyBytes, "show-body", 0, "print the first `N` bytes of each unexpected answer's body (--show-body=N; alone: 512)")
	f.Lookup("show-body").NoOptDefVal = strconv.Itoa(defaultBodyBytes)
	f.BoolVar(&opts.stopOnFailure, "stop-on-failure", false, "send no more hops after one answers unexpectedly")
	f.BoolVar(&opts.discover, "discover", false, "read every hop's protected resource metadata at its well-known URL (RFC 9728), not only when its challenge names it")
	f.BoolVar(&opts.compare, "compare", false, "run the chain file twice, pass-through (exchange: ignored) and with its hops' exchanges, and show both side by side; the exit status is the exchange run's")
	f.BoolVar(&opts.json, "json", false, "print the report as one JSON object")
	f.StringVar(&opts.reports.JUnit, "junit", "", "also write the report as JUnit XML to `FILE`, one test case per hop (for CI test reports)")
	f.StringVar(&opts.reports.HTML, "html", "", "also write the report as one self-contained HTML page to `FILE`, with a sequence diagram of the calls")
	f.BoolVar(&opts.reports.Annotate, "annotate", false, "when $GITHUB_ACTIONS is true, write ::error and ::warning workflow commands to stderr for unexpected and disagreeing hops")
	f.DurationVar(&opts.timeout, "timeout", verify.DefaultTimeout, "give up on a hop (and a key fetch) after this long")
	opts.http.bind(f)
	// The login flags pick the cached login of --login; say so in --help,
	// where they sort among chain's own.
	var loginFlags pflag.FlagSet
	opts.login.bindRequest(&loginFlags)
	opts.login.bindClientAuth(&loginFlags)
	loginFlags.VisitAll(func(fl *pflag.Flag) {
		fl.Usage = "with --login: " + fl.Usage
		f.AddFlag(fl)
		opts.loginFlags = append(opts.loginFlags, fl)
	})
	_ = cmd.MarkFlagFilename("file", "yaml", "yml")
	_ = cmd.MarkFlagFilename("junit", "xml")
	_ = cmd.MarkFlagFilename("html", "html")
	_ = cmd.MarkFlagFilename("token-file")
	_ = cmd.MarkFlagFilename("client-key", "pem", "json")
	_ = cmd.RegisterFlagCompletionFunc("client-auth", cobra.FixedCompletions(login.AuthMethods, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagFilename("cacert", "pem", "crt")
	return cmd
}

// chainReport runs the chain, writes the report, and returns it (nil when
// nothing was sent) with the error that decides the exit status.
func chainReport(ctx context.Context, opts *chainOptions, args []string) (*chain.Report, error) {
	s := opts.streams
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.timeout <= 0 {
		return nil, &usageError{errors.New("--timeout must be more than 0 (it bounds each hop)")}
	}
	if opts.bodyBytes < 0 || opts.bodyBytes > chain.MaxBodyBytes {
		return nil, &usageError{fmt.Errorf("--show-body takes 1 to %d bytes", chain.MaxBodyBytes)}
	}
	if opts.bodyBytes == defaultBodyBytes && len(args) > 0 && strings.Trim(args[0], "0123456789") == "" {
		// pflag reads "--show-body 100 URL" as --show-body, then "100".
		return nil, &usageError{fmt.Errorf("%q is not a URL: write --show-body=%s to set how many bytes to show", args[0], args[0])}
	}
	hops, err := opts.hops(args)
	if err != nil {
		return nil, err
	}
	if err := chain.Check(hops, opts.http.allowHTTP); err != nil {
		return nil, &usageError{err}
	}
	client, err := opts.http.client(s, opts.timeout)
	if err != nil {
		return nil, err
	}
	token, err := opts.bearer(ctx)
	if err != nil {
		return nil, err
	}
	now := opts.now()
	req := chain.Request{
		Hops:          hops,
		Token:         token,
		Client:        client,
		Fetcher:       opts.http.fetcher(s, client, opts.now),
		Now:           opts.now,
		AllowHTTP:     opts.http.allowHTTP,
		BodyBytes:     opts.bodyBytes,
		StopOnFailure: opts.stopOnFailure,
		Discover:      opts.discover,
	}
	if opts.compare {
		return chainCompare(ctx, opts, req, token, now)
	}
	var table *ui.ChainTable
	var progress *ui.HopProgress
	if !opts.json {
		p := s.Printer(s.Out)
		masked := chain.Mask(token)
		if opts.showToken {
			masked = token
		}
		table = p.ChainHeader(ui.ChainView{Token: tokenLine(token, now), Masked: masked, ShowToken: opts.showToken, Hops: hops, Width: s.TerminalWidth()})
		// At a terminal, a line on stderr says which hop is in flight
		// (not with --debug, whose trace is on stderr too).
		if !opts.http.debugging(s) {
			progress = s.HopProgress(len(hops))
		}
		if progress != nil {
			req.OnHop = func(i int, name string, started time.Time) {
				label := name
				if label == "" {
					label = firstNonEmpty(hops[i-1].Method, "GET") + " " + hops[i-1].URL
				}
				progress.Start(i, label, started)
			}
		}
		req.Each = func(res *chain.Result) {
			progress.Stop()
			table.Hop(&hops[res.Index-1], res)
		}
	}
	opts.exchangeHooks(&req)
	rep, err := chain.Run(ctx, req)
	if rep == nil {
		return nil, &usageError{err}
	}
	if opts.json {
		out := chainJSON{Token: chainToken(token, opts.showToken, now), Hops: rep.Hops, Summary: rep.Summary}
		if err := ui.WriteJSON(s.Out, out, s.StdoutIsTerminal()); err != nil {
			return rep, err
		}
	} else {
		progress.Stop()
		table.Summary(rep)
	}
	if werr := opts.reports.Write(rep, report.Chain{Source: opts.file, Token: token, ShowToken: opts.showToken, TokenInfo: tokenLine(token, now), At: now}, s.Getenv, s.ErrOut); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return rep, err
	}
	if !rep.Summary.OK {
		return rep, reported(outcomeRejected)
	}
	return rep, nil
}

// hops builds the hops from the chain file or the arguments.
func (opts *chainOptions) hops(args []string) ([]chain.Hop, error) {
	argFlags := opts.method != "" || len(opts.headers) > 0 || opts.data != "" || len(opts.expect) > 0 || len(opts.rules) > 0
	if opts.file != "" {
		if len(args) > 0 {
			return nil, &usageError{errors.New("give the hops either as URL arguments or with --file, not both")}
		}
		if argFlags {
			return nil, &usageError{errors.New("-X, -H, -d, --expect and --rule are for URL arguments; in a chain file, set method, headers, body, expect and rules per hop (or rules under defaults:)")}
		}
		// Say which variables the file takes: a chain file from someone
		// else could put any of them in a URL or a header.
		used := map[string]bool{}
		var names []string
		getenv := func(name string) (string, bool) {
			if !used[name] {
				used[name] = true
				names = append(names, "$"+name)
			}
			return opts.streams.LookupEnv(name)
		}
		hops, err := chain.LoadFile(opts.file, getenv)
		if err == nil && len(names) > 0 {
			sort.Strings(names)
			fmt.Fprintln(opts.streams.ErrOut, "note: "+ui.Safe(opts.file)+" takes "+strings.Join(names, ", ")+" from the environment")
		}
		if err != nil {
			var fe *chain.FileError
			if errors.As(err, &fe) {
				return nil, &usageError{errors.New(ui.SafeLines(fe.Error()))}
			}
			return nil, &usageError{fmt.Errorf("--file: %w", err)}
		}
		return hops, nil
	}
	if len(args) == 0 {
		return nil, &usageError{errors.New("no hop: give service URLs as arguments or a chain file with --file\n  jwtrace chain --token-file token.jwt https://a.example/api https://b.example/api\n  jwtrace chain --file chain.yaml --token-file token.jwt")}
	}
	var header http.Header
	for _, h := range opts.headers {
		name, value, err := chain.ParseHeader(h)
		if err != nil {
			return nil, &usageError{fmt.Errorf("-H %w", err)}
		}
		if header == nil {
			header = http.Header{}
		}
		header.Add(name, value)
	}
	var body []byte
	if opts.data != "" {
		body = []byte(opts.data)
		if name, ok := strings.CutPrefix(opts.data, "@"); ok {
			b, err := chain.ReadBody(name)
			if err != nil {
				return nil, &usageError{fmt.Errorf("-d: %w", err)}
			}
			body = b
		}
	}
	rules, err := argRules(opts.rules)
	if err != nil {
		return nil, err
	}
	hops := make([]chain.Hop, len(args))
	for i, u := range args {
		hops[i] = chain.Hop{URL: u, Method: opts.method, Header: header, Body: body, Expect: opts.expect, Rules: rules}
	}
	return hops, nil
}

// argRuleKeys are the chain-file rule keys --rule takes, sorted, and which
// of them are lists (repeat --rule to give several). A slice, not a map: it
// is static data, where a package-level map is built at every start-up.
var argRuleKeys = []struct {
	key  string
	list bool
}{
	{"algs", true}, {"allow_no_exp", false}, {"audience", true}, {"authority", false}, {"issuer", true}, {"jwks_url", false},
	{"leeway", false}, {"require", true}, {"scopes", true}, {"tenant", true}, {"typ", false},
}

// argRuleKey says whether key is a --rule key, and whether it is a list.
func argRuleKey(key string) (list, known bool) {
	for _, k := range argRuleKeys {
		if k.key == key {
			return k.list, true
		}
	}
	return false, false
}

// argRules turns --rule KEY=VALUE into the argument hops' declared policy,
// with a chain file's keys and checks: argument hops predict like file hops.
func argRules(specs []string) (*chain.Rules, error) {
	if len(specs) == 0 {
		return nil, nil
	}
	doc := map[string]any{}
	for _, spec := range specs {
		key, value, ok := strings.Cut(spec, "=")
		list, known := argRuleKey(key)
		switch {
		case !ok || key == "":
			return nil, &usageError{fmt.Errorf("--rule %q: want KEY=VALUE, e.g. --rule audience=api://billing", spec)}
		case !known:
			keys := make([]string, 0, len(argRuleKeys))
			for _, k := range argRuleKeys {
				keys = append(keys, k.key)
			}
			return nil, &usageError{fmt.Errorf("--rule %q: %q is not a chain-file rule (rules: %s)", spec, key, strings.Join(keys, ", "))}
		case strings.TrimSpace(value) == "":
			return nil, &usageError{fmt.Errorf("--rule %s= is empty (an unset variable?): give a value, or leave the rule out", key)}
		case key == "allow_no_exp":
			b, err := strconv.ParseBool(value)
			if err != nil {
				return nil, &usageError{fmt.Errorf("--rule %q: allow_no_exp is true or false", spec)}
			}
			doc[key] = b
		case list:
			prev, _ := doc[key].([]string)
			doc[key] = append(prev, value)
		default:
			if _, dup := doc[key]; dup {
				return nil, &usageError{fmt.Errorf("--rule %s= is given twice; it takes one value", key)}
			}
			doc[key] = value
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var p verify.Policy
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, &usageError{fmt.Errorf("--rule: %v", err)}
	}
	// chain checks these rules as it checks a chain file's (with its
	// words: "rules: typ: …") before any hop is sent.
	return chain.NewRules(p), nil
}

// bearer gets the token from the one place the user named.
func (opts *chainOptions) bearer(ctx context.Context) (string, error) {
	s := opts.streams
	given := 0
	for _, set := range []bool{opts.token != "", opts.tokenFile != "", opts.tokenEnv != "", opts.useLogin} {
		if set {
			given++
		}
	}
	if given > 1 {
		return "", &usageError{errors.New("give the token one way: --token, --token-file, --token-env or --login")}
	}
	if !opts.useLogin {
		// A login flag without --login does nothing; said, so that
		// --audience is not mistaken for a rule the hops are checked by.
		for _, fl := range opts.loginFlags {
			if fl.Changed {
				return "", &usageError{fmt.Errorf("--%s is a login flag: with --login it picks the cached login whose token is sent, and without --login it does nothing; add --login, or declare the hops' rules (audience:, issuer:, …) in a chain file", fl.Name)}
			}
		}
	}
	var input []byte
	var err error
	examples := "  jwtrace chain --token-file token.jwt URL...\n  jwtrace chain --token-env TOKEN URL...\n  jwtrace token --authority URL --client-id ID | jwtrace chain URL...\n  jwtrace chain --login --authority URL --client-id ID URL..."
	switch {
	case opts.useLogin:
		opts.login.http = opts.http
		tok, err := opts.login.obtain(ctx)
		if err != nil {
			return "", err
		}
		fmt.Fprintln(s.ErrOut, loginSummary(tok, opts.now()))
		return tok.AccessToken, nil
	case opts.token == "-":
		input, err = readInput(ctx, s, "-", nil, examples)
	case opts.token != "":
		if looksLikeFile(opts.token) {
			return "", &usageError{fmt.Errorf("--token %q looks like a file name, which chain would send as the token: use --token-file %s", opts.token, opts.token)}
		}
		input = []byte(opts.token)
	case opts.tokenFile != "":
		input, err = readInput(ctx, s, opts.tokenFile, nil, examples)
	case opts.tokenEnv != "":
		v := s.Getenv(opts.tokenEnv)
		if v == "" {
			return "", &usageError{fmt.Errorf("--token-env %s: the variable is empty or not set", opts.tokenEnv)}
		}
		input = []byte(v)
	case s.Getenv("JWTRACE_TOKEN") != "":
		input = []byte(s.Getenv("JWTRACE_TOKEN"))
	case s.StdinIsTerminal():
		// readInput's words are decode's (arguments, --file); chain's
		// arguments are URLs.
		return "", &usageError{errors.New("no token: give --token-file FILE, --token-env NAME, --token TOKEN or --login, set $JWTRACE_TOKEN, or pipe it on stdin\n" + examples)}
	default:
		input, err = readInput(ctx, s, "", nil, examples)
	}
	if err != nil {
		return "", err
	}
	return bearerFrom(input)
}

// looksLikeFile: a --token value that names a file (one that exists, or a
// token-ish file name, as decode says of its input).
func looksLikeFile(v string) bool {
	if strings.HasPrefix(v, "eyJ") && strings.Count(v, ".") >= 2 {
		return false
	}
	if fi, err := os.Stat(v); err == nil && fi.Mode().IsRegular() {
		return true
	}
	lower := strings.ToLower(v)
	for _, ext := range []string{".jwt", ".txt", ".json", ".token", ".jwe", ".jws"} {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}

// bearerFrom takes the one token in the input, in any form decode reads
// (Bearer ..., an Authorization line, a token response); an opaque token
// is taken as it is.
func bearerFrom(input []byte) (string, error) {
	found, err := decode.Extract(input)
	if err == nil {
		switch len(found.Candidates) {
		case 1:
			return found.Candidates[0].Token, nil
		case 0:
		default:
			return "", &usageError{fmt.Errorf("the input holds %d tokens; chain sends one: give just the token to send", len(found.Candidates))}
		}
	}
	t := strings.TrimSpace(string(input))
	if tok, ok := decode.BearerToken(t); ok {
		t = tok
	}
	if t == "" {
		return "", &usageError{errors.New("the token is empty")}
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(isB64URL(c) || c == '+' || c == '/' || c == '=' || c == '~') {
			return "", &usageError{errors.New("no token found in the input (a bearer token is one word of letters, digits and -._~+/=)")}
		}
	}
	return t, nil
}

// isB64URL: a base64url character, or the dot between a JWT's parts.
func isB64URL(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
}

// tokenLine describes the token for the report's first line.
func tokenLine(token string, now time.Time) string {
	t, err := decode.Parse(token, "token", decode.Options{Now: now})
	if err != nil {
		return "opaque (not a JWT: no predictions)"
	}
	var parts []string
	if t.Signature != nil {
		a := t.Signature.Alg
		if t.Signature.Kid != "" {
			a += " kid " + t.Signature.Kid
		}
		parts = append(parts, a)
	}
	if sum := summarize(token, now); sum != nil {
		if sub, ok := sum.claims.String("sub"); ok {
			parts = append(parts, "sub "+sub)
		}
		if sum.aud != "" {
			parts = append(parts, "aud "+sum.aud)
		}
	}
	if t.StatusText != "" {
		parts = append(parts, t.StatusText)
	}
	return strings.Join(parts, " · ")
}

// chainJSON is chain --json's object.
type chainJSON struct {
	Token   chainTokenJSON  `json:"token"`
	Hops    []*chain.Result `json:"hops"`
	Summary chain.Summary   `json:"summary"`
}

type chainTokenJSON struct {
	// Token is masked unless --show-token.
	Token  string         `json:"token"`
	Masked bool           `json:"masked"`
	JWT    bool           `json:"jwt"`
	Alg    string         `json:"alg,omitempty"`
	Kid    string         `json:"kid,omitempty"`
	Claims *decode.Object `json:"claims,omitempty"`
	Status decode.Status  `json:"status,omitempty"`
}

func chainToken(token string, show bool, now time.Time) chainTokenJSON {
	out := chainTokenJSON{Token: chain.Mask(token), Masked: !show}
	if show {
		out.Token = token
	}
	if t, err := decode.Parse(token, "token", decode.Options{Now: now}); err == nil {
		out.JWT = true
		out.Claims, out.Status = t.Claims, t.Status
		if t.Signature != nil {
			out.Alg, out.Kid = t.Signature.Alg, t.Signature.Kid
		}
	}
	return out
}

// obtain gets the token for the login flags: from the cache, refreshed, or
// (client credentials) anew; never by asking a person.
func (opts *loginOptions) obtain(ctx context.Context) (*login.Token, error) {
	c, err := opts.prepare()
	if err != nil {
		return nil, err
	}
	return c.Login(ctx, &opts.req)
}
