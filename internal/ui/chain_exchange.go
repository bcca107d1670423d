package ui

import (
	"fmt"
	"strings"

	"github.com/jwtrace/jwtrace/chain"
)

// received writes, under a hop's row, the token the hop received when it
// is not simply the chain's token (an exchange, or a token passed on after
// one), and the relay note. Every value is escaped: claims come from a
// token, errors from an authority.
func (t *ChainTable) received(b *strings.Builder, ind string, r *chain.Result) {
	th := t.p.th
	if rt := r.Received; rt != nil && rt.From != chain.FromChain {
		if rt.Exchange != nil && rt.Exchange.Error != "" {
			t.line(b, ind, span{&th.st().err, Safe(rt.FromText)})
		} else {
			t.line(b, ind, span{&th.st().key, "token: "}, span{text: TokenSummary(rt)})
			t.line(b, ind+"  ", span{&th.st().dim, Safe(rt.FromText)})
		}
	}
	if r.Relay != "" {
		t.line(b, ind, span{&th.st().warn, "relay: "}, span{text: Safe(r.Relay)})
	}
}

// TokenSummary is a hop's token in one line: the masked token, aud,
// scope and the act chain.
func TokenSummary(rt *chain.HopToken) string {
	parts := []string{Safe(rt.Token)}
	if len(rt.Aud) > 0 {
		parts = append(parts, "aud "+Safe(strings.Join(rt.Aud, " ")))
	}
	if rt.Scope != "" {
		parts = append(parts, "scope "+Safe(rt.Scope))
	}
	if d := rt.Delegation; d != nil && d.Chain != "" {
		parts = append(parts, "act: "+Safe(d.Chain))
	}
	return strings.Join(parts, " · ")
}

// ChainCompare writes chain --compare's report: per hop, its verdict
// pass-through and with the declared exchanges, and why; then both
// summaries.
func (p *Printer) ChainCompare(v ChainView, c *chain.Comparison) {
	th := p.th
	var b strings.Builder
	head := fmt.Sprintf("Chain of %d %s, pass-through beside exchange", len(c.Rows), map[bool]string{true: "hop", false: "hops"}[len(c.Rows) == 1])
	b.WriteString(th.st().title.Render(head))
	if v.Token != "" {
		b.WriteString(" · token " + Safe(v.Token))
	}
	if v.ShowToken {
		b.WriteString("\n" + th.st().dim.Render("token ") + Safe(v.Masked))
	} else {
		b.WriteString("   " + th.st().dim.Render("[token masked: "+Safe(v.Masked)+"]"))
	}
	b.WriteString("\n\n")
	nameW := len("service")
	for _, r := range c.Rows {
		nameW = max(nameW, len([]rune(Safe(compareName(r)))))
	}
	cellText := func(x chain.CompareCell) string {
		s := string(x.Verdict)
		if x.Status != 0 {
			s += fmt.Sprintf(" %d", x.Status)
		}
		if x.Disagrees {
			// The server and the hop's declared rules disagree.
			s += " ✗"
		}
		return s
	}
	const colW = 14
	fmt.Fprintf(&b, "  %s  %s  %s  %s\n", th.st().dim.Render(" #"), th.st().dim.Render(pad("service", nameW)), th.st().dim.Render(pad("pass-through", colW)), th.st().dim.Render("exchange"))
	style := func(x chain.CompareCell) func(...string) string {
		switch {
		case x.Verdict == chain.Accepted && x.AsExpected:
			return th.st().ok.Render
		case x.AsExpected:
			return th.st().warn.Render
		}
		return th.st().err.Render
	}
	disagree := false
	for _, r := range c.Rows {
		disagree = disagree || r.PassThrough.Disagrees || r.Exchange.Disagrees
		ex := cellText(r.Exchange)
		if r.Exchanges {
			ex += " (exchanged)"
		}
		fmt.Fprintf(&b, "  %2d  %s  %s  %s\n", r.Index, pad(Safe(compareName(r)), nameW), style(r.PassThrough)(pad(cellText(r.PassThrough), colW)), style(r.Exchange)(ex))
		ind := "      "
		fmt.Fprintf(&b, "%s%s%s\n", ind, th.st().dim.Render("pass-through: "), Safe(r.PassThrough.Why))
		fmt.Fprintf(&b, "%s%s%s\n", ind, th.st().dim.Render("exchange:     "), Safe(r.Exchange.Why))
	}
	if disagree {
		b.WriteString(th.st().dim.Render("  ✗ the server and the hop's declared rules disagree") + "\n")
	}
	b.WriteString("\n")
	for _, s := range []struct {
		label string
		rep   *chain.Report
	}{{"pass-through: ", c.PassThrough}, {"exchange:     ", c.Exchange}} {
		st := th.st().err
		if s.rep.Summary.OK {
			st = th.st().ok
		}
		b.WriteString(th.st().dim.Render(s.label) + st.Render(Safe(s.rep.Summary.Text)) + "\n")
	}
	fmt.Fprint(p.w, b.String())
}

func compareName(r chain.CompareRow) string {
	if r.Name != "" {
		return r.Name
	}
	return fmt.Sprintf("hop %d", r.Index)
}
