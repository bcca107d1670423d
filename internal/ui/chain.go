package ui

import (
	"fmt"
	"strings"

	"github.com/jwtrace/jwtrace/chain"
)

// ChainView is what the chain report's first line says about the token.
type ChainView struct {
	// Token describes the token in a few words: "RS256 kid k1 · sub alice
	// · aud api://workouts".
	Token string
	// Masked is the masked token, or the whole token with --show-token.
	Masked    string
	ShowToken bool
	Hops      []chain.Hop
}

// ChainTable writes a chain report row by row, as hops finish.
type ChainTable struct {
	p                   *Printer
	nameWidth, svcWidth int
}

// ChainHeader writes the report's first line and the column titles, and
// returns the table to write each hop's row with.
func (p *Printer) ChainHeader(v ChainView) *ChainTable {
	th := p.th
	var b strings.Builder
	b.WriteString(th.title.Render(fmt.Sprintf("Chain of %d %s", len(v.Hops), map[bool]string{true: "hop", false: "hops"}[len(v.Hops) == 1])))
	if v.Token != "" {
		b.WriteString(" · token " + Safe(v.Token))
	}
	// The token comes from the user's source or an authority's token
	// response: escaped like any text jwtrace did not write.
	if v.ShowToken {
		b.WriteString("\n" + th.dim.Render("token ") + Safe(v.Masked))
	} else {
		b.WriteString("   " + th.dim.Render("[token masked: "+Safe(v.Masked)+"]"))
	}
	b.WriteString("\n\n")
	t := &ChainTable{p: p}
	for i := range v.Hops {
		t.nameWidth = max(t.nameWidth, len([]rune(Safe(v.Hops[i].Name))))
	}
	for i := range v.Hops {
		t.svcWidth = max(t.svcWidth, len([]rune(t.service(&v.Hops[i]))))
	}
	t.svcWidth = max(t.svcWidth, len("service"))
	fmt.Fprintf(&b, "  %s  %s  %s  %s  %s  %s\n", th.dim.Render(" #"), th.dim.Render(pad("service", t.svcWidth)),
		th.dim.Render("status"), th.dim.Render(pad("time", 7)), th.dim.Render(pad("server says", serverWidth)), th.dim.Render("jwtrace predicts"))
	fmt.Fprint(p.w, b.String())
	return t
}

const serverWidth = 28

// service is the hop's name (in a column of its own width) and its method
// and URL.
func (t *ChainTable) service(h *chain.Hop) string {
	s := Safe(h.Method + " " + shortURL(h.URL))
	if t.nameWidth > 0 {
		s = pad(Safe(h.Name), t.nameWidth) + "  " + s
	}
	return s
}

// Hop writes one hop's row and the lines under it.
func (t *ChainTable) Hop(h *chain.Hop, r *chain.Result) {
	th := t.p.th
	var b strings.Builder
	status, elapsed := "—", "—"
	if r.Status != 0 {
		status = fmt.Sprint(r.Status)
	}
	if r.Verdict != chain.NotSent {
		elapsed = ShortLatency(r.LatencyMS)
	}
	says := serverSays(r)
	var saysStyled string
	switch {
	case r.Verdict == chain.Accepted && r.AsExpected:
		saysStyled = th.ok.Render(pad(says, serverWidth))
	case r.AsExpected:
		saysStyled = th.warn.Render(pad(says, serverWidth))
	case r.Verdict == chain.NotSent:
		saysStyled = th.dim.Render(pad(says, serverWidth))
	default:
		saysStyled = th.err.Render(pad(says, serverWidth))
	}
	fmt.Fprintf(&b, "  %2d  %s  %s  %s  %s  %s\n", r.Index, pad(t.service(h), t.svcWidth), pad(status, 6), pad(elapsed, 7), saysStyled, t.predicts(r))

	// Every text below may come from the server: each is one line, with
	// line breaks and control characters escaped (Safe), so that a server
	// cannot add a line that reads as jwtrace's own.
	ind := "      "
	note := func(label, text string) {
		b.WriteString(ind + th.dim.Render(label) + Safe(text) + "\n")
	}
	for _, u := range r.Redirects {
		note("redirected to ", u+" (same host: followed)")
	}
	if r.BlockedRedirect != "" {
		b.WriteString(ind + th.warn.Render("redirect to "+Safe(r.BlockedRedirect)+" not followed: jwtrace never sends the token to another host") + "\n")
	}
	if r.Error != "" {
		note("error: ", r.Error)
	}
	for _, n := range r.Notes {
		b.WriteString(ind + th.warn.Render("note: "+Safe(n)) + "\n")
	}
	if r.Verdict.Answered() && !r.AsExpected && (r.Verdict == chain.Accepted || len(r.Expected) > 0) {
		note("expected ", chain.ExpectText(r.Expected)+", got "+fmt.Sprint(r.Status))
	}
	if c := r.Challenge; c != nil {
		if d := c.Description(); d != "" {
			note("server: ", d)
		}
	}
	for _, w := range r.WWWAuthenticate {
		if r.Verdict == chain.Rejected || (r.Agrees != nil && !*r.Agrees) {
			note("WWW-Authenticate: ", w)
		}
	}
	if p := r.Prediction; p != nil && p.Error != "" {
		note("no prediction: ", p.Error)
	}
	if r.Agrees != nil && !*r.Agrees {
		b.WriteString(ind + th.err.Render("✗ "+disagreement(r)) + "\n")
	}
	if c := r.Cause; c != nil {
		from := map[string]string{"rules": fmt.Sprintf("hop %d's declared rules", r.Index), "server": "the server's challenge", "token": "the token itself"}[c.From]
		b.WriteString(ind + th.key.Render("cause: ") + th.title.Render(Safe(c.Claim)) + " · " + Safe(c.Detail) + th.dim.Render(" ("+from+")") + "\n")
		if c.Hint != "" {
			b.WriteString(ind + th.dim.Render("hint: ") + Safe(c.Hint) + "\n")
		}
	}
	if r.Body != "" {
		more := ""
		if r.BodyTruncated {
			more = " (truncated)"
		}
		b.WriteString(ind + th.dim.Render("body"+more+": ") + Safe(strings.TrimRight(r.Body, "\r\n")) + "\n")
	}
	fmt.Fprint(t.p.w, b.String())
}

func (t *ChainTable) predicts(r *chain.Result) string {
	th := t.p.th
	p := r.Prediction
	switch {
	case p == nil:
		return th.dim.Render("— (no rules declared)")
	case p.Error != "":
		return th.warn.Render("? (keys unavailable)")
	}
	word := "reject"
	if p.Accept {
		word = "accept"
	}
	switch {
	case r.Agrees == nil:
		return word
	case *r.Agrees:
		return pad(word, 6) + "  " + th.ok.Render("✓")
	}
	return pad(word, 6) + "  " + th.err.Render("✗ DISAGREES")
}

// serverSays is the verdict in a few words.
func serverSays(r *chain.Result) string {
	switch r.Verdict {
	case chain.Accepted:
		return "accepted"
	case chain.Rejected:
		if c := r.Challenge; c != nil && c.ErrorCode() != "" {
			return "rejected: " + Safe(c.ErrorCode())
		}
		return "rejected"
	case chain.Failed:
		return fmt.Sprintf("failed (%d)", r.Status)
	case chain.Redirected:
		switch {
		case r.BlockedRedirect != "":
			return "redirected off-host"
		case len(r.Redirects) > 0:
			return "sign-in page"
		}
		return fmt.Sprintf("redirect (%d)", r.Status)
	case chain.Refused:
		return "error: refused"
	case chain.Timeout:
		return "error: timeout"
	case chain.TLSError:
		return "error: TLS"
	case chain.NotSent:
		return "not sent"
	}
	return "error"
}

// disagreement explains a prediction the server contradicted.
func disagreement(r *chain.Result) string {
	p := r.Prediction
	if p.Accept {
		return "the server rejected the token, but its declared rules accept it: the service checks something its declared rules do not, or is configured differently (see the server's answer above)"
	}
	failed := strings.Join(checkNames(p.Failed), ", ")
	s := "the server accepted the token, but its declared rules reject it (" + failed + ")"
	if len(p.Failed) > 0 {
		s += ": is it checking the " + checkNames(p.Failed[:1])[0] + " at all, or against another value?"
	}
	return s
}

func checkNames(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		if l, ok := checkLabels[n]; ok {
			out[i] = l
		} else {
			out[i] = n
		}
	}
	return out
}

// ChainSummary writes the summary line.
func (p *Printer) ChainSummary(rep *chain.Report) {
	th := p.th
	line := Safe(rep.Summary.Text)
	if rep.Summary.OK {
		line = th.ok.Render(line)
	} else {
		line = th.err.Render(line)
	}
	fmt.Fprintln(p.w, "\n"+line)
}

// ShortLatency writes milliseconds compactly: 0.4ms, 12ms, 1.2s.
func ShortLatency(ms float64) string {
	switch {
	case ms < 10:
		return fmt.Sprintf("%.1fms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.0fms", ms)
	}
	return fmt.Sprintf("%.1fs", ms/1000)
}

// maxURLWidth is the widest URL the table shows; a longer one is cut in
// the middle (the JSON has it whole), so one long URL does not push every
// row past the terminal's width.
const maxURLWidth = 60

func shortURL(u string) string {
	r := []rune(u)
	if len(r) <= maxURLWidth {
		return u
	}
	half := (maxURLWidth - 1) / 2
	return string(r[:half]) + "…" + string(r[len(r)-(maxURLWidth-1-half):])
}
