package ui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/jwtrace/jwtrace/internal/textsafe"
	"github.com/jwtrace/jwtrace/verify"
)

// Validators lists the validator profiles, one block per library: its
// defaults in a line each, so that 80 columns hold them.
func (p *Printer) Validators(list []*verify.Profile) {
	for i, prof := range list {
		if i > 0 {
			fmt.Fprintln(p.w)
		}
		p.validatorBlock(prof, false)
	}
}

// Validator shows one profile in full: its defaults, sources and claim
// map.
func (p *Printer) Validator(prof *verify.Profile) { p.validatorBlock(prof, true) }

func (p *Printer) validatorBlock(prof *verify.Profile, full bool) {
	th := p.th
	w := p.w
	s := prof.Summary()
	fmt.Fprintf(w, "%s  %s\n", th.st().title.Render(Safe(prof.Name)), th.st().dim.Render(Safe(prof.Library)+" "+Safe(prof.Version)))
	row := func(label, value string) {
		fmt.Fprintf(w, "  %s %s\n", th.st().key.Render(fmt.Sprintf("%-10s", label)), Safe(value))
	}
	row("leeway", "exp "+s.ExpLeeway+", nbf "+s.NbfLeeway)
	row("times", "nbf "+s.Nbf+"; a future iat "+s.FutureIat+"; exp "+s.Exp)
	row("typ", s.Typ)
	row("algs", s.Algs)
	row("issuer", unsetText(s.Issuer, "issuer"))
	row("audience", unsetText(s.Audience, "audience"))
	row("refuses", s.Refusal)
	if prof.Tested != "" {
		row("tested", "against "+prof.Tested+" in jwtrace's interop suite")
	} else if prof.Name != verify.ProfileJWTrace {
		row("tested", "not against the library itself: modelled from its sources")
	}
	if !full {
		return
	}
	for i, src := range prof.Sources {
		label := ""
		if i == 0 {
			label = "sources"
		}
		row(label, src)
	}
	for i, m := range prof.Claims {
		label := ""
		if i == 0 {
			label = "claims"
		}
		row(label, m.From+" → "+m.To)
	}
	if prof.ClaimsNote != "" {
		row("", prof.ClaimsNote)
	}
	if len(prof.Words) > 0 {
		var parts []string
		for _, k := range sortedWordKeys(prof.Words) {
			parts = append(parts, k+" = "+prof.Words[k])
		}
		row("settings", strings.Join(parts, "; "))
	}
}

// unsetText says what a library does when no issuer (audience) is
// configured.
func unsetText(u verify.Unset, what string) string {
	switch u {
	case verify.UnsetSkip:
		return "not checked unless configured"
	case verify.UnsetDiscovered:
		return "the authority's, from discovery"
	case verify.UnsetRejectAll:
		return "required: every token is refused until one is configured"
	case verify.UnsetJWKSOrigin:
		return "the JWKS URL's origin and /, checked"
	case verify.UnsetRejectPresent:
		return "when none is configured, a token that carries " + map[string]string{"issuer": "iss", "audience": "aud"}[what] + " is refused"
	}
	return "—"
}

func sortedWordKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// AppClaims shows a token's claims as a validator library hands them to
// the application: each claim the library renames, what the user name
// property holds, and the profile's note. A library that renames nothing
// gets one line saying so.
func (p *Printer) AppClaims(prof *verify.Profile, v *verify.AppView) {
	th := p.th
	w := p.w
	fmt.Fprintf(w, "\n%s\n", th.st().title.Render("As "+Safe(prof.Name)+" hands the claims to the application"))
	if v == nil {
		fmt.Fprintf(w, "  %s\n", th.st().dim.Render(Safe(prof.Name)+" renames no claim: the application reads them as the token has them"))
		return
	}
	width := 0
	for _, c := range v.Claims {
		width = max(width, len([]rune(Safe(c.Claim))))
	}
	for _, c := range v.Claims {
		value := Safe(textsafe.Cut(string(c.Value), 60))
		if !c.Mapped {
			fmt.Fprintf(w, "  %s  %s\n", th.st().dim.Render(pad(Safe(c.Claim), width)+"   (as is)"), value)
			continue
		}
		fmt.Fprintf(w, "  %s → %s  %s\n", th.st().key.Render(pad(Safe(c.Claim), width)), Safe(c.As), value)
	}
	if n := v.Name; n != nil {
		if n.Value == "" {
			fmt.Fprintf(w, "  %s %s\n", th.st().warn.Render(Safe(n.Property)+" is empty:"), "it reads "+Safe(n.From)+", which this token does not have"+fixText(n.Fix))
		} else {
			fmt.Fprintf(w, "  %s %s\n", th.st().key.Render(Safe(n.Property)+" ="), Safe(n.Value)+" (from "+Safe(n.From)+")")
		}
	}
	if v.Note != "" && v.Name == nil {
		fmt.Fprintf(w, "  %s\n", th.st().dim.Render(Safe(v.Note)))
	}
}

func fixText(fix string) string {
	if fix == "" {
		return ""
	}
	return "; set " + Safe(fix) + " to read another"
}
