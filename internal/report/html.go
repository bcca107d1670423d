package report

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/chain"
	"github.com/jwtrace/jwtrace/internal/htmlsafe"
	"github.com/jwtrace/jwtrace/internal/lazy"
	"github.com/jwtrace/jwtrace/internal/textsafe"
)

// The page's geometry: each participant (the client, then one per hop) is
// a lane laneWidth wide; each hop a row of rowHeight.
const (
	laneWidth  = 180
	marginX    = 20
	headHeight = 46
	rowHeight  = 74
	firstRow   = headHeight + 40
	// laneLabelRunes bounds a label in the diagram (the hop's section
	// below has it whole).
	laneLabelRunes  = 22
	arrowLabelRunes = 22
)

type htmlPage struct {
	Title, Generated, Source string
	Token, TokenInfo         string
	Masked                   bool
	Summary                  string
	OK                       bool
	Diagram                  diagram
	Hops                     []htmlHop
}

type diagram struct {
	Width, Height int
	Lanes         []lane
	Rows          []row
}

type lane struct {
	X, BoxX, BoxW, BoxH, Top, Bottom int
	Num, Label, Full                 string
}

type row struct {
	Class string
	// The request arrow from the client to the hop, at Y; the reply back
	// at ReplyY (none when not answered).
	Y, ReplyY, X1, X2    int
	ReqEnd, ReplyEnd     int
	ReqTextY, ReplyTextY int
	MarkTextY            int
	ReqHead, ReplyHead   string
	ReqLabel, ReplyText  string
	LabelX               int
	Answered, Cross      bool
	Disagrees            bool
	MarkX, MarkY         int
	CrossPath            string
	Title                string
}

type htmlHop struct {
	ID, Num, Label, Class   string
	Request, Token, Answer  string
	Latency, Expected       string
	Error                   string
	Challenges              []string
	Description, Scope      string
	Prediction, Predicted   string
	PredictionError         string
	Disagreement            string
	CauseClaim, CauseDetail string
	CauseFrom, Hint         string
	Notes, Redirects        []string
	Blocked                 string
	Body                    string
	Failed                  bool
}

// verdictClass is the colour of a hop: accepted green, rejected red,
// anything else amber, not sent grey.
func verdictClass(r *chain.Result) string {
	switch r.Verdict {
	case chain.Accepted:
		return "accepted"
	case chain.Rejected:
		return "rejected"
	case chain.NotSent:
		return "notsent"
	}
	return "other"
}

// path is a URL's path and query for an arrow's label.
func path(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

// ChainHTML is the chain report as one self-contained HTML page: a
// sequence diagram of the calls (inline SVG, each arrow coloured by the
// verdict, a disagreement marked), then each hop's request, the token it
// was sent (as info gives it: masked unless --show-token), the server's
// answer and challenge, the prediction, the disagreement, the cause and
// the hint. Its Content-Security-Policy forbids every load (styles are
// inline, there is no script), so opening it makes no request.
func ChainHTML(rep *chain.Report, info Chain) []byte {
	var b bytes.Buffer
	if err := pageTemplate().Execute(&b, pageData(rep, info)); err != nil {
		// The template and its data are this package's: a failure is a
		// bug, not an input.
		panic("report: HTML: " + err.Error())
	}
	return b.Bytes()
}

// pageData is what the page shows.
func pageData(rep *chain.Report, info Chain) htmlPage {
	n := len(rep.Hops)
	p := htmlPage{
		Title:     "jwtrace chain report",
		Source:    clean(info.Source),
		Token:     clean(info.shown()),
		Masked:    !info.ShowToken,
		TokenInfo: clean(info.TokenInfo),
		Summary:   clean(rep.Summary.Text),
		OK:        rep.Summary.OK,
	}
	if !info.At.IsZero() {
		p.Generated = info.At.UTC().Format(time.RFC3339)
	}
	d := &p.Diagram
	d.Width = 2*marginX + (n+1)*laneWidth
	d.Height = firstRow + n*rowHeight
	laneX := func(i int) int { return marginX + laneWidth/2 + i*laneWidth }
	d.Lanes = append(d.Lanes, lane{X: laneX(0), BoxX: laneX(0) - laneWidth/2 + 10, BoxW: laneWidth - 20, BoxH: headHeight - 4, Top: headHeight, Bottom: d.Height - 6, Num: "client", Label: "jwtrace", Full: "jwtrace (the client)"})
	for _, r := range rep.Hops {
		label := clean(Label(r))
		x := laneX(r.Index)
		d.Lanes = append(d.Lanes, lane{X: x, BoxX: x - laneWidth/2 + 10, BoxW: laneWidth - 20, BoxH: headHeight - 4, Top: headHeight, Bottom: d.Height - 6,
			Num: fmt.Sprintf("hop %d", r.Index), Label: textsafe.Middle(label, laneLabelRunes), Full: label})
		y := firstRow + (r.Index-1)*rowHeight
		x0 := laneX(0)
		// An arrow's words fit between the client and the hop (about 7
		// px a character).
		budget := max(arrowLabelRunes, (x-x0-24)/7)
		rw := row{
			Class: verdictClass(r), Y: y, ReplyY: y + 30, X1: x0, X2: x,
			ReqHead:   fmt.Sprintf("%d,%d %d,%d %d,%d", x, y, x-10, y-5, x-10, y+5),
			ReplyHead: fmt.Sprintf("%d,%d %d,%d %d,%d", x0, y+30, x0+10, y+25, x0+10, y+35),
			ReqLabel:  textsafe.Middle(clean(method(r)+" "+path(r.URL)), budget),
			LabelX:    x0 + 14,
			Answered:  r.Verdict.Answered(),
			Disagrees: Disagrees(r),
			MarkX:     x - 12, MarkY: y + 30, MarkTextY: y + 34,
			ReqEnd: x - 8, ReplyEnd: x0 + 8, ReqTextY: y - 6, ReplyTextY: y + 24,
			Title: clean(fmt.Sprintf("hop %d: %s — %s", r.Index, Label(r), Outcome(r))),
		}
		switch {
		case r.Verdict == chain.NotSent:
			rw.ReqLabel = "not sent"
		case r.Verdict.Answered():
			// The colour says the verdict; the words the status and the
			// challenge's error code.
			says := string(r.Verdict)
			if c := r.Challenge; r.Verdict == chain.Rejected && c != nil && c.ErrorCode() != "" {
				says = c.ErrorCode()
			}
			rw.ReplyText = textsafe.Middle(clean(fmt.Sprintf("%d %s", r.Status, says)), budget)
		default:
			// No answer: the request ends in a cross at the hop.
			rw.Cross = true
			rw.CrossPath = fmt.Sprintf("M%d %d L%d %d M%d %d L%d %d", x-7, y-7, x+7, y+7, x-7, y+7, x+7, y-7)
			rw.ReplyText = textsafe.Middle(clean(Says(r)), budget)
		}
		d.Rows = append(d.Rows, rw)
		p.Hops = append(p.Hops, hopHTML(r, info))
	}
	return p
}

func hopHTML(r *chain.Result, info Chain) htmlHop {
	kind, _ := Judge(r)
	h := htmlHop{
		ID: fmt.Sprintf("hop-%d", r.Index), Num: fmt.Sprintf("hop %d", r.Index),
		Label: clean(Label(r)), Class: verdictClass(r),
		Request: clean(method(r) + " " + r.URL), Latency: Latency(r),
		Expected: chain.ExpectText(r.Expected), Error: clean(r.Error),
		Disagreement: clean(Disagreement(r)), Blocked: clean(r.BlockedRedirect),
		Failed: kind == Failure || kind == NoAnswer,
	}
	if r.Verdict != chain.NotSent {
		h.Token = clean(info.shown())
		h.Answer = clean(Says(r))
		if r.Verdict == chain.Failed {
			h.Answer = "failed"
		}
		if r.Status != 0 {
			h.Answer = fmt.Sprintf("%d · %s", r.Status, h.Answer)
		}
	} else {
		h.Answer = "not sent (an earlier hop answered unexpectedly, --stop-on-failure)"
	}
	for _, w := range r.WWWAuthenticate {
		h.Challenges = append(h.Challenges, clean(w))
	}
	if c := r.Challenge; c != nil {
		h.Description, h.Scope = clean(c.Description()), clean(c.Scope())
	}
	if pr := r.Prediction; pr != nil {
		h.Prediction = Prediction(r)
		h.Predicted = clean(pr.Summary)
		if len(pr.Failed) > 0 && !strings.Contains(pr.Summary, pr.Failed[0]) {
			h.Predicted = clean(pr.Summary + " (failed: " + strings.Join(pr.Failed, ", ") + ")")
		}
		h.PredictionError = clean(pr.Error)
	}
	if c := r.Cause; c != nil {
		h.CauseClaim, h.CauseDetail, h.CauseFrom, h.Hint = clean(c.Claim), clean(c.Detail), CauseFrom(r), clean(c.Hint)
	}
	for _, n := range r.Notes {
		h.Notes = append(h.Notes, clean(n))
	}
	for _, u := range r.Redirects {
		h.Redirects = append(h.Redirects, clean(u))
	}
	if r.Body != "" {
		h.Body = cleanLines(strings.TrimRight(r.Body, "\r\n"))
		if r.BodyTruncated {
			h.Body += "\n… (truncated)"
		}
	}
	return h
}

// pageTemplate is the page. htmlsafe escapes every value for where it
// goes (text, attribute; only numbers inside <style>), and refuses the
// template if a value would go anywhere else; the values are clean
// already (no control or bidirectional characters). It is not
// html/template, whose package init every jwtrace run would pay for
// (issue 18, start-up).
//
// It is parsed on first use, not at start-up: every jwtrace run would
// otherwise pay for it (a million instructions, more than decoding a
// token).
var pageTemplateOnce lazy.Value[*htmlsafe.Template]

func pageTemplate() *htmlsafe.Template { return pageTemplateOnce.Get(parsePageTemplate) }

func parsePageTemplate() *htmlsafe.Template { return htmlsafe.Must("chain", pageText) }

const pageText = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{{.Title}}</title>
<style>
:root { --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --dim: #6e7781; --fg: #1f2328; --bg: #ffffff; --card: #f6f8fa; --line: #d0d7de; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px; font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1232px; margin: 0 auto; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 0 0 8px; overflow-wrap: anywhere; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.meta { color: var(--dim); margin: 0 0 12px; }
.meta span { margin-right: 16px; }
.summary { padding: 10px 14px; border-radius: 6px; border: 1px solid var(--line); margin: 12px 0 16px; font-weight: 600; overflow-wrap: anywhere; }
.summary.ok { border-color: var(--ok); color: var(--ok); }
.summary.bad { border-color: var(--bad); color: var(--bad); }
.diagram { border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow: hidden; }
.diagram svg { display: block; width: 100%; max-width: {{.Diagram.Width}}px; height: auto; margin: 0 auto; }
svg text { font: 12px -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; fill: var(--fg); }
svg .lane-box { fill: var(--card); stroke: var(--line); }
svg .lane-num { fill: var(--dim); font-size: 11px; }
svg .lane-label { font-weight: 600; }
svg .lifeline { stroke: var(--line); stroke-dasharray: 4 4; }
svg .arrow { stroke-width: 2; fill: none; }
svg .reply { stroke-dasharray: 6 4; }
svg .accepted .arrow { stroke: var(--ok); } svg .accepted .head { fill: var(--ok); } svg .accepted .reply-text { fill: var(--ok); }
svg .rejected .arrow { stroke: var(--bad); } svg .rejected .head { fill: var(--bad); } svg .rejected .reply-text { fill: var(--bad); }
svg .other .arrow { stroke: var(--warn); } svg .other .head { fill: var(--warn); } svg .other .reply-text { fill: var(--warn); }
svg .notsent .arrow { stroke: var(--dim); stroke-dasharray: 2 4; } svg .notsent .head { fill: var(--dim); } svg .notsent text { fill: var(--dim); }
svg .cross { stroke-width: 3; }
svg .mark { fill: #fff; stroke: var(--bad); stroke-width: 2; }
svg .mark-text { fill: var(--bad); font-weight: 700; }
.legend { color: var(--dim); margin: 8px 0 20px; font-size: 13px; }
.legend b { display: inline-block; width: 12px; height: 4px; margin: 0 4px 3px 12px; }
.hop { border: 1px solid var(--line); border-left: 6px solid var(--dim); border-radius: 6px; padding: 12px 16px; margin: 0 0 12px; background: var(--bg); }
.hop.accepted { border-left-color: var(--ok); } .hop.rejected { border-left-color: var(--bad); } .hop.other { border-left-color: var(--warn); }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; background: var(--dim); margin-left: 8px; vertical-align: 2px; }
.badge.accepted { background: var(--ok); } .badge.rejected { background: var(--bad); } .badge.other { background: var(--warn); }
.badge.disagrees { background: #fff; color: var(--bad); border: 2px solid var(--bad); }
dl { display: grid; grid-template-columns: 170px 1fr; gap: 4px 12px; margin: 0; }
dt { color: var(--dim); }
dd { margin: 0; overflow-wrap: anywhere; min-width: 0; }
dd.disagreement { color: var(--bad); font-weight: 600; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; background: var(--card); padding: 6px 8px; border-radius: 4px; }
ul { margin: 0; padding-left: 18px; }
footer { color: var(--dim); font-size: 12px; margin-top: 20px; }
</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
<p class="meta">{{if .Generated}}<span>ran at {{.Generated}}</span>{{end}}{{if .Source}}<span>chain file <code>{{.Source}}</code></span>{{end}}<span>{{len .Hops}} {{if eq (len .Hops) 1}}hop{{else}}hops{{end}}</span></p>
<p class="meta"><span>token{{if .Masked}} (masked){{end}}: <code>{{.Token}}</code></span>{{if .TokenInfo}}<span>{{.TokenInfo}}</span>{{end}}</p>
<p class="summary {{if .OK}}ok{{else}}bad{{end}}" id="summary">{{.Summary}}</p>

<div class="diagram">
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {{.Diagram.Width}} {{.Diagram.Height}}" width="{{.Diagram.Width}}" height="{{.Diagram.Height}}" role="img" aria-label="sequence diagram of the calls">
{{- range .Diagram.Lanes}}
<g class="lane">
<title>{{.Full}}</title>
<line class="lifeline" x1="{{.X}}" y1="{{.Top}}" x2="{{.X}}" y2="{{.Bottom}}"></line>
<rect class="lane-box" x="{{.BoxX}}" y="4" width="{{.BoxW}}" height="{{.BoxH}}" rx="6"></rect>
<text class="lane-num" x="{{.X}}" y="20" text-anchor="middle">{{.Num}}</text>
<text class="lane-label" x="{{.X}}" y="38" text-anchor="middle">{{.Label}}</text>
</g>
{{- end}}
{{- range .Diagram.Rows}}
<g class="call {{.Class}}">
<title>{{.Title}}</title>
<text class="req-text" x="{{.LabelX}}" y="{{.ReqTextY}}">{{.ReqLabel}}</text>
<line class="arrow" x1="{{.X1}}" y1="{{.Y}}" x2="{{.ReqEnd}}" y2="{{.Y}}"></line>
{{- if .Cross}}
<path class="arrow cross" d="{{.CrossPath}}"></path>
<text class="reply-text" x="{{.LabelX}}" y="{{.ReplyTextY}}">{{.ReplyText}}</text>
{{- else}}
<polygon class="head" points="{{.ReqHead}}"></polygon>
{{- end}}
{{- if .Answered}}
<line class="arrow reply" x1="{{.X2}}" y1="{{.ReplyY}}" x2="{{.ReplyEnd}}" y2="{{.ReplyY}}"></line>
<polygon class="head" points="{{.ReplyHead}}"></polygon>
<text class="reply-text" x="{{.LabelX}}" y="{{.ReplyTextY}}">{{.ReplyText}}</text>
{{- end}}
{{- if .Disagrees}}
<g class="disagree"><circle class="mark" cx="{{.MarkX}}" cy="{{.MarkY}}" r="10"></circle><text class="mark-text" x="{{.MarkX}}" y="{{.MarkTextY}}" text-anchor="middle">≠</text><title>the server and the hop's declared rules disagree</title></g>
{{- end}}
</g>
{{- end}}
</svg>
</div>
<p class="legend"><b style="background:#1a7f37"></b>accepted <b style="background:#cf222e"></b>rejected <b style="background:#9a6700"></b>failed, redirected or no answer <b style="background:#6e7781"></b>not sent <span style="color:#cf222e;font-weight:700;margin-left:12px">≠</span> the server and the hop's declared rules disagree</p>

{{- range .Hops}}
<section class="hop {{.Class}}" id="{{.ID}}">
<h2>{{.Num}} · <span class="hop-label">{{.Label}}</span><span class="badge {{.Class}}">{{.Answer}}</span>{{if .Disagreement}}<span class="badge disagrees">≠ disagrees</span>{{end}}</h2>
<dl>
<dt>request</dt><dd class="mono">{{.Request}}</dd>
{{- if .Token}}<dt>token sent</dt><dd class="mono">{{.Token}}</dd>{{end}}
<dt>answer</dt><dd>{{.Answer}}{{if .Token}} in {{.Latency}}{{end}}</dd>
<dt>expected</dt><dd>{{.Expected}}</dd>
{{- if .Error}}<dt>error</dt><dd>{{.Error}}</dd>{{end}}
{{- if .Description}}<dt>server says</dt><dd>{{.Description}}</dd>{{end}}
{{- if .Scope}}<dt>scope required</dt><dd class="mono">{{.Scope}}</dd>{{end}}
{{- if .Challenges}}<dt>WWW-Authenticate</dt><dd>{{range .Challenges}}<pre>{{.}}</pre>{{end}}</dd>{{end}}
{{- if .Prediction}}<dt>jwtrace predicts</dt><dd>{{.Prediction}}{{if .Predicted}}: {{.Predicted}}{{end}}{{if .PredictionError}} ({{.PredictionError}}){{end}}</dd>
{{- else}}<dt>jwtrace predicts</dt><dd>— (no rules declared)</dd>{{end}}
{{- if .Disagreement}}<dt>disagreement</dt><dd class="disagreement">{{.Disagreement}}</dd>{{end}}
{{- if .CauseClaim}}<dt>cause</dt><dd><b>{{.CauseClaim}}</b> · {{.CauseDetail}} <span class="meta">({{.CauseFrom}})</span></dd>{{end}}
{{- if .Hint}}<dt>hint</dt><dd>{{.Hint}}</dd>{{end}}
{{- if .Notes}}<dt>notes</dt><dd><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul></dd>{{end}}
{{- if .Redirects}}<dt>redirected to</dt><dd><ul>{{range .Redirects}}<li class="mono">{{.}} (same host: followed)</li>{{end}}</ul></dd>{{end}}
{{- if .Blocked}}<dt>redirect not followed</dt><dd class="mono">{{.Blocked}} (jwtrace never sends the token to another host)</dd>{{end}}
{{- if .Body}}<dt>body</dt><dd><pre>{{.Body}}</pre></dd>{{end}}
</dl>
</section>
{{- end}}
<footer>Written by jwtrace chain --html. The page loads nothing: its styles are inline and it has no script.</footer>
</main>
</body>
</html>
`
