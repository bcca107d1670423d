package ui

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/lipgloss"
	"golang.org/x/term"

	"github.com/jwtrace/jwtrace/chain"
	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/textsafe"
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
	// Width, when more than 0, is the terminal's width: the report is
	// fitted to it, long cells wrapped at word boundaries in their own
	// column and long words (URLs) shortened in the middle. 0 (piped
	// output) writes the plain layout, one line per row.
	Width int
}

// ChainTable writes a chain report row by row, as hops finish.
type ChainTable struct {
	p                   *Printer
	nameWidth, svcWidth int
	// width is the terminal's (0: piped, nothing fitted); fitted says
	// the rows are laid out in wrapped columns, saysWidth and predWidth
	// being those columns' widths.
	width, saysWidth, predWidth int
	fitted                      bool
}

// ChainHeader writes the report's first line and the column titles, and
// returns the table to write each hop's row with.
func (p *Printer) ChainHeader(v ChainView) *ChainTable {
	th := p.th
	var b strings.Builder
	t := &ChainTable{p: p, width: v.Width, saysWidth: serverWidth, predWidth: predictsWidth}
	first := []span{{&th.st().title, fmt.Sprintf("Chain of %d %s", len(v.Hops), map[bool]string{true: "hop", false: "hops"}[len(v.Hops) == 1])}}
	if v.Token != "" {
		first = append(first, span{text: " · token " + Safe(v.Token)})
	}
	// The token comes from the user's source or an authority's token
	// response: escaped like any text jwtrace did not write.
	if v.ShowToken {
		t.line(&b, "", first...)
		t.line(&b, "", span{&th.st().dim, "token "}, span{text: Safe(v.Masked)})
	} else {
		t.line(&b, "", append(first, span{text: "   "}, span{&th.st().dim, "[token masked: " + Safe(v.Masked) + "]"})...)
	}
	b.WriteString("\n")
	for i := range v.Hops {
		t.nameWidth = max(t.nameWidth, len([]rune(Safe(v.Hops[i].Name))))
	}
	for i := range v.Hops {
		t.svcWidth = max(t.svcWidth, len([]rune(t.service(&v.Hops[i]))))
	}
	t.svcWidth = max(t.svcWidth, len("service"))
	t.fit()
	if !t.fitted {
		fmt.Fprintf(&b, "  %s  %s  %s  %s  %s  %s\n", th.st().dim.Render(" #"), th.st().dim.Render(pad("service", t.svcWidth)),
			th.st().dim.Render("status"), th.st().dim.Render(pad("time", 7)), th.st().dim.Render(pad("server says", serverWidth)), th.st().dim.Render("jwtrace predicts"))
	} else {
		dim := func(s string) []span { return []span{{&th.st().dim, s}} }
		t.row(&b, th.st().dim.Render(" #"), dim("service"), dim("status"), dim("time"), dim("server says"), dim("jwtrace predicts"))
	}
	fmt.Fprint(p.w, b.String())
	return t
}

const serverWidth = 28

// predictsWidth is the widest the predictions column gets: "— (no rules
// declared)".
const predictsWidth = 21

// The columns of a row: "  ## " service, status, time, server says,
// predictions, two spaces apart. rowFixed is everything but the service,
// server-says and predictions cells.
const (
	statusWidth = 6
	timeWidth   = 7
	rowFixed    = 2 + 2 + 2 + 2 + statusWidth + 2 + timeWidth + 2 + 2
	// The narrowest the fitted columns get; below, the row is let run
	// past the terminal's edge.
	// 18 keeps "insufficient_scope" whole.
	minServiceWidth, minSaysWidth, minPredWidth = 20, 18, 12
)

// fit shares the terminal's width among the service, server-says and
// predictions columns when the plain layout would be wider.
func (t *ChainTable) fit() {
	if t.width <= 0 || rowFixed+t.svcWidth+serverWidth+predictsWidth <= t.width {
		return
	}
	t.fitted = true
	avail := t.width - rowFixed
	// The service column aims at enough for a name and a short URL; the
	// server's words and the predictions give way first, down to their
	// narrowest, then the service column, down to its.
	svc := min(t.svcWidth, 36)
	t.saysWidth, t.predWidth = serverWidth, predictsWidth
	over := svc + t.saysWidth + t.predWidth - avail
	for _, col := range []struct {
		w   *int
		min int
	}{{&t.saysWidth, minSaysWidth}, {&t.predWidth, minPredWidth}, {&svc, minServiceWidth}} {
		if over <= 0 {
			break
		}
		cut := min(over, *col.w-col.min)
		*col.w -= cut
		over -= cut
	}
	// What is left goes to the service column, up to all it needs.
	t.svcWidth = max(svc, min(t.svcWidth, avail-t.saysWidth-t.predWidth))
}

// span is a piece of text and its style (nil: plain text).
type span struct {
	style *lipgloss.Style
	text  string
}

func (s span) render() string {
	if s.style == nil {
		return s.text
	}
	return s.style.Render(s.text)
}

func renderSpans(spans []span) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(s.render())
	}
	return b.String()
}

// line writes one line of spans after indent: as it is when piped or
// when it fits the terminal, else wrapped at word boundaries to the
// terminal's width, the wrapped lines indented two more.
func (t *ChainTable) line(b *strings.Builder, indent string, spans ...span) {
	if l := indent + renderSpans(spans); t.width == 0 || lipgloss.Width(l) <= t.width {
		b.WriteString(l + "\n")
		return
	}
	for i, l := range wrapSpans(spans, max(t.width-len(indent)-2, 20)) {
		if i == 0 {
			b.WriteString(indent + l + "\n")
		} else {
			b.WriteString(indent + "  " + l + "\n")
		}
	}
}

// word is one word of a wrapped text, with its style; glued words had no
// space between them.
type word struct {
	span
	glued bool
}

func words(spans []span) []word {
	var out []word
	prevSpace := true
	for _, s := range spans {
		fields := strings.Fields(s.text)
		for i, f := range fields {
			glued := i == 0 && !prevSpace && !strings.HasPrefix(s.text, " ")
			out = append(out, word{span{s.style, f}, glued && len(out) > 0})
		}
		if s.text != "" {
			prevSpace = strings.HasSuffix(s.text, " ") || len(fields) == 0
		}
	}
	return out
}

// wrapSpans breaks spans into lines of at most width cells at spaces; a
// word wider than width is shortened in the middle with "…".
func wrapSpans(spans []span, width int) []string {
	var lines []string
	var cur strings.Builder
	n := 0
	for _, w := range words(spans) {
		text := shortMiddle(w.text, width)
		wl := lipgloss.Width(text)
		sep := 1
		if w.glued || n == 0 {
			sep = 0
		}
		if n > 0 && n+sep+wl > width {
			lines = append(lines, cur.String())
			cur.Reset()
			n, sep = 0, 0
		}
		if sep == 1 {
			cur.WriteString(" ")
		}
		cur.WriteString(span{w.style, text}.render())
		n += sep + wl
	}
	if n > 0 || len(lines) == 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// shortMiddle cuts s to width cells, keeping its start and end around
// "…" (a URL's host and its last path segment both matter).
func shortMiddle(s string, width int) string {
	if width < 3 {
		return s
	}
	return textsafe.Middle(s, width)
}

// row writes one fitted row: each cell wrapped in its own column, the
// cells' lines side by side.
func (t *ChainTable) row(b *strings.Builder, num string, svc, status, elapsed, says, pred []span) {
	cells := [][]string{
		{num},
		wrapSpans(svc, t.svcWidth),
		wrapSpans(status, statusWidth),
		wrapSpans(elapsed, timeWidth),
		wrapSpans(says, t.saysWidth),
		wrapSpans(pred, t.predWidth),
	}
	widths := []int{2, t.svcWidth, statusWidth, timeWidth, t.saysWidth, t.predWidth}
	lines := 0
	for _, c := range cells {
		lines = max(lines, len(c))
	}
	for i := 0; i < lines; i++ {
		var l strings.Builder
		l.WriteString(" ")
		for j, c := range cells {
			cell := ""
			if i < len(c) {
				cell = c[i]
			}
			l.WriteString(" ")
			if j > 0 {
				l.WriteString(" ")
			}
			if j < len(cells)-1 {
				cell = pad(cell, widths[j])
			}
			l.WriteString(cell)
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
}

// service is the hop's name (in a column of its own width) and its method
// and URL.
func (t *ChainTable) service(h *chain.Hop) string {
	s := Safe(h.Method + " " + textsafe.Middle(h.URL, maxURLWidth))
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
	var saysStyle *lipgloss.Style
	switch {
	case r.Verdict == chain.Accepted && r.AsExpected:
		saysStyle = &th.st().ok
	case r.AsExpected:
		saysStyle = &th.st().warn
	case r.Verdict == chain.NotSent:
		saysStyle = &th.st().dim
	default:
		saysStyle = &th.st().err
	}
	if !t.fitted {
		fmt.Fprintf(&b, "  %2d  %s  %s  %s  %s  %s\n", r.Index, pad(t.service(h), t.svcWidth), pad(status, 6), pad(elapsed, 7), saysStyle.Render(pad(says, serverWidth)), renderSpans(t.predicts(r)))
	} else {
		t.row(&b, fmt.Sprintf("%2d", r.Index), t.serviceSpans(h), []span{{text: status}}, []span{{text: elapsed}}, []span{{saysStyle, says}}, t.predicts(r))
	}

	// Every text below may come from the server: each is one line, with
	// line breaks and control characters escaped (Safe), so that a server
	// cannot add a line that reads as jwtrace's own.
	ind := "      "
	note := func(label, text string) {
		t.line(&b, ind, span{&th.st().dim, label}, span{text: Safe(text)})
	}
	t.received(&b, ind, r)
	for _, u := range r.Redirects {
		note("redirected to ", u+" (same host: followed)")
	}
	if r.BlockedRedirect != "" {
		t.line(&b, ind, span{&th.st().warn, "redirect to " + Safe(r.BlockedRedirect) + " not followed: jwtrace never sends the token to another host"})
	}
	if r.Error != "" {
		note("error: ", r.Error)
	}
	for _, n := range r.Notes {
		t.line(&b, ind, span{&th.st().warn, "note: " + Safe(n)})
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
	t.metadata(&b, ind, r)
	if p := r.Prediction; p != nil && p.Error != "" {
		note("no prediction: ", p.Error)
	}
	if p := r.Prediction; p != nil && p.Error == "" {
		// Which of the validator's defaults decided the prediction.
		word := map[bool]string{true: "accept", false: "reject"}[p.Accept]
		for _, why := range p.Because {
			t.line(&b, ind, span{&th.st().dim, word + ": "}, span{text: Safe(why)})
		}
	}
	if r.Agrees != nil && !*r.Agrees {
		t.line(&b, ind, span{&th.st().err, "✗ " + disagreement(r)})
	}
	if c := r.Cause; c != nil {
		from := map[string]string{"rules": fmt.Sprintf("hop %d's declared rules", r.Index), "server": "the server's challenge", "token": "the token itself", "metadata": "the service's metadata"}[c.From]
		t.line(&b, ind, span{&th.st().key, "cause: "}, span{&th.st().title, Safe(c.Claim)}, span{text: " · " + Safe(c.Detail)}, span{&th.st().dim, " (" + from + ")"})
		if c.Hint != "" {
			t.line(&b, ind, span{&th.st().dim, "hint: "}, span{text: Safe(c.Hint)})
		}
	}
	if r.Body != "" {
		more := ""
		if r.BodyTruncated {
			more = " (truncated)"
		}
		t.line(&b, ind, span{&th.st().dim, "body" + more + ": "}, span{text: Safe(strings.TrimRight(r.Body, "\r\n"))})
	}
	fmt.Fprint(t.p.w, b.String())
}

// metadata writes the hop's protected resource metadata (RFC 9728), when
// it was read and is for the hop, and where the prediction's rules came
// from when they are the service's. Every value is the server's: escaped,
// one line each.
func (t *ChainTable) metadata(b *strings.Builder, ind string, r *chain.Result) {
	th := t.p.th
	if md := r.Metadata; md.Usable() {
		from := map[string]string{chain.MetadataFromChallenge: "named by its challenge", chain.MetadataFromWellKnown: "--discover"}[md.From]
		cached := ""
		if md.Cached {
			cached = " (cached " + decode.HumanSeconds(md.AgeSeconds) + " ago)"
		}
		t.line(b, ind, span{&th.st().dim, "metadata (" + from + "): "}, span{text: Safe(md.URL)}, span{&th.st().dim, cached})
		for _, f := range []struct {
			key    string
			values []string
		}{
			{"resource", []string{md.Resource}},
			{"authorization_servers", md.AuthorizationServers},
			{"scopes_supported", md.ScopesSupported},
			{"bearer_methods_supported", md.BearerMethodsSupported},
			{"resource_signing_alg_values_supported", md.ResourceSigningAlgValuesSupported},
		} {
			if len(f.values) == 0 {
				continue
			}
			safe := make([]string, len(f.values))
			for i, v := range f.values {
				safe[i] = Safe(v)
			}
			t.line(b, ind+"  ", span{&th.st().dim, f.key + ": "}, span{text: strings.Join(safe, ", ")})
		}
	}
	if r.RulesFrom == chain.RulesMetadata {
		t.line(b, ind, span{&th.st().key, "rules: "}, span{text: "from the service's metadata (issuer among its authorization servers, audience its resource, keys from that authority)"})
	}
}

// serviceSpans is the service cell as words: the name, the method, the
// URL (shortened in the middle when wider than the column).
func (t *ChainTable) serviceSpans(h *chain.Hop) []span {
	if len([]rune(t.service(h))) <= t.svcWidth {
		return []span{{text: t.service(h)}}
	}
	var out []span
	if h.Name != "" {
		out = append(out, span{text: Safe(h.Name) + " "})
	}
	return append(out, span{text: Safe(h.Method) + " "}, span{text: Safe(h.URL)})
}

func (t *ChainTable) predicts(r *chain.Result) []span {
	th := t.p.th
	p := r.Prediction
	switch {
	case p == nil && r.Received != nil && r.Received.Exchange != nil && r.Received.Exchange.Error != "":
		return []span{{&th.st().dim, "— (not called: its exchange failed)"}}
	case p == nil:
		return []span{{&th.st().dim, "— (no rules declared)"}}
	case p.Error != "":
		return []span{{&th.st().warn, "? (keys unavailable)"}}
	}
	word := "reject"
	if p.Accept {
		word = "accept"
	}
	switch {
	case r.Agrees == nil:
		return []span{{text: word}}
	case *r.Agrees:
		return []span{{text: pad(word, 6) + "  "}, {&th.st().ok, "✓"}}
	}
	return []span{{text: pad(word, 6) + "  "}, {&th.st().err, "✗ DISAGREES"}}
}

// serverSays is the verdict in a few words, escaped.
func serverSays(r *chain.Result) string { return Safe(r.Says()) }

// disagreement explains a prediction the server contradicted.
func disagreement(r *chain.Result) string {
	p := r.Prediction
	rules, their := "its declared rules", "its declared rules"
	if r.RulesFrom == chain.RulesMetadata {
		rules, their = "the rules its metadata implies", "those rules"
	}
	if p.Accept {
		return "the server rejected the token, but " + rules + " accept it: the service checks something " + their + " do not, or is configured differently (see the server's answer above)"
	}
	failed := strings.Join(checkNames(p.Failed), ", ")
	s := "the server accepted the token, but " + rules + " reject it (" + failed + ")"
	if len(p.Failed) > 0 {
		s += ": is it checking the " + checkNames(p.Failed[:1])[0] + " at all, or against another value?"
	}
	return s
}

func checkNames(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		if l, ok := checkLabel(n); ok {
			out[i] = l
		} else {
			out[i] = n
		}
	}
	return out
}

// ChainSummary writes the summary line.
func (p *Printer) ChainSummary(rep *chain.Report) {
	(&ChainTable{p: p}).Summary(rep)
}

// Summary writes the summary line, fitted to the table's width.
func (t *ChainTable) Summary(rep *chain.Report) {
	th := t.p.th
	st := &th.st().err
	if rep.Summary.OK {
		st = &th.st().ok
	}
	var b strings.Builder
	b.WriteString("\n")
	t.line(&b, "", span{st, Safe(rep.Summary.Text)})
	fmt.Fprint(t.p.w, b.String())
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

// StderrIsTerminal reports whether ErrOut is a terminal. A writer with an
// IsTerminal method (a test's) answers for itself.
func (s *Streams) StderrIsTerminal() bool {
	if t, ok := s.ErrOut.(interface{ IsTerminal() bool }); ok {
		return t.IsTerminal()
	}
	return IsTerminal(s.ErrOut)
}

// TerminalWidth is the width of the terminal Out goes to, or 0 when Out is
// not a terminal. When the terminal does not say (or Out only counts as
// one, StdoutTTY), it is $COLUMNS, else 80.
func (s *Streams) TerminalWidth() int {
	if !s.StdoutIsTerminal() {
		return 0
	}
	return termWidth(s.Out, s)
}

func termWidth(w io.Writer, s *Streams) int {
	type fder interface{ Fd() uintptr }
	if f, ok := w.(fder); ok {
		if n, _, err := term.GetSize(int(f.Fd())); err == nil && n > 0 {
			return n
		}
	}
	if n, err := strconv.Atoi(s.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 80
}

// HopProgress is chain's progress line on a terminal's stderr while a
// hop is in flight: "→ 2/4 billing … 3s", drawn once the hop has taken
// Delay, redrawn every Every, and erased when the hop answers, before its
// row is written. A nil HopProgress (stderr not a terminal) does nothing.
type HopProgress struct {
	// Delay is how long a hop runs before the line appears; Every, how
	// often it is redrawn.
	Delay, Every time.Duration

	w          io.Writer
	total      int
	width      int
	stop, done chan struct{}
	mu         sync.Mutex
}

// HopProgress returns the progress line for a chain of total hops, or nil
// when stderr is not a terminal.
func (s *Streams) HopProgress(total int) *HopProgress {
	if !s.StderrIsTerminal() {
		return nil
	}
	return &HopProgress{Delay: 300 * time.Millisecond, Every: time.Second, w: s.ErrOut, total: total, width: termWidth(s.ErrOut, s)}
}

// Start shows hop i (1-based), named label, in flight since started,
// after Delay. It ends the previous hop's line first.
func (p *HopProgress) Start(i int, label string, started time.Time) {
	if p == nil {
		return
	}
	p.Stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	stop, done := make(chan struct{}), make(chan struct{})
	p.stop, p.done = stop, done
	go func() {
		defer close(done)
		wait := time.NewTimer(max(p.Delay-time.Since(started), 0))
		defer wait.Stop()
		select {
		case <-stop:
			return
		case <-wait.C:
		}
		every := max(p.Every, 10*time.Millisecond)
		for {
			d := time.Since(started)
			fmt.Fprint(p.w, "\r\x1b[K"+p.text(i, label, d))
			// Redraw as the next whole interval since the start comes.
			wait.Reset(every - d%every)
			select {
			case <-stop:
				fmt.Fprint(p.w, "\r\x1b[K")
				return
			case <-wait.C:
			}
		}
	}()
}

// Stop erases the line (if it was drawn) and returns once it is.
func (p *HopProgress) Stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stop == nil {
		return
	}
	close(p.stop)
	<-p.done
	p.stop, p.done = nil, nil
}

// text is the line: the hop, its label cut to fit the terminal, and the
// whole seconds it has taken.
func (p *HopProgress) text(i int, label string, d time.Duration) string {
	head := fmt.Sprintf("→ %d/%d ", i, p.total)
	tail := " …"
	if s := int(d / time.Second); s > 0 {
		tail += " " + strconv.Itoa(s) + "s"
	}
	room := max(p.width-1-len([]rune(head))-len([]rune(tail)), 10)
	return head + shortMiddle(Safe(label), room) + tail
}
