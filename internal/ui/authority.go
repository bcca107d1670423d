package ui

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/authority"
)

// AuthoritySummary tells a person on stderr what the authority serves.
// It shows no secret except the built-in default one, which is public.
func (p *Printer) AuthoritySummary(a *authority.Authority, state string) {
	w := p.w
	cfg := a.Config()
	k := a.SigningKey()
	fmt.Fprintf(w, "jwtrace authority: serving %s\n", Safe(a.Base()))
	if a.Issuer() != a.Base() {
		fmt.Fprintf(w, "  issuer     %s\n", Safe(a.Issuer()))
	}
	fmt.Fprintf(w, "  discovery  %s\n", Safe(a.DiscoveryURL()))
	where := "in memory (--ephemeral)"
	if state != "" {
		where = "in " + Safe(state)
	}
	fmt.Fprintf(w, "  keys       %s kid %s signs; %d published; %s\n", k.Alg, k.KID, len(a.Keys()), where)
	for i, c := range a.Clients() {
		label := "  clients    "
		if i > 0 {
			label = "             "
		}
		kind := "public"
		if !c.Public() {
			kind = "confidential"
			if c.ID == authority.DefaultServiceClient && c.Secret == authority.DefaultServiceSecret {
				kind = "secret " + authority.DefaultServiceSecret
			}
		}
		var grants []string
		for _, g := range AuthorityGrants(c) {
			grants = append(grants, strings.TrimPrefix(g, "urn:ietf:params:oauth:grant-type:"))
		}
		fmt.Fprintf(w, "%s%s (%s): %s\n", label, Safe(c.ID), kind, strings.Join(grants, ", "))
	}
	for i, u := range a.Users() {
		label := "  users      "
		if i > 0 {
			label = "             "
		}
		var claims []string
		for name, v := range u.Claims {
			claims = append(claims, fmt.Sprintf("%s=%v", name, v))
		}
		sort.Strings(claims)
		fmt.Fprintf(w, "%s%s %s\n", label, Safe(u.Subject), Safe(strings.Join(claims, " ")))
	}
	fmt.Fprintf(w, "  audience   %s\n", Safe(strings.Join(cfg.Audience, " ")))
	fmt.Fprintf(w, "  tokens     typ %s, %s; device codes %s, polling every %s\n", Safe(cfg.AccessTokenTyp), ShortDuration(cfg.TTL), ShortDuration(cfg.DeviceCodeTTL), ShortDuration(cfg.PollInterval))
	fmt.Fprintf(w, "  sign in    %s%s\n", Safe(a.Base()), authority.PathDevice)
	if cfg.AutoApprove != "" {
		fmt.Fprintf(w, "  approval   automatic, as %s\n", Safe(cfg.AutoApprove))
	}
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}

// ShortDuration prints 1h0m0s as 1h and 5m0s as 5m.
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// SafeLineWriter is a writer of whole lines (a request log) that escapes
// what each line holds before it reaches a terminal.
func SafeLineWriter(w io.Writer) io.Writer { return &safeLineWriter{w: w} }

type safeLineWriter struct{ w io.Writer }

func (s *safeLineWriter) Write(p []byte) (int, error) {
	line := strings.TrimSuffix(string(p), "\n")
	if _, err := fmt.Fprintln(s.w, Safe(line)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// AuthorityGrants are the grants a client may use: its own list, or the
// authority's defaults for public and confidential clients.
func AuthorityGrants(c authority.Client) []string { return c.Grants() }
