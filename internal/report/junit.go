package report

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jwtrace/jwtrace/chain"
	"github.com/jwtrace/jwtrace/verify"
)

// The JUnit XML shape is that of Jenkins' xunit plugin junit-10.xsd
// (testdata/junit/), which the common CI test-report viewers read, with one
// addition: a <properties> block in a <testcase>, as pytest's
// record_property writes in its xunit1 family; readers that do not know it
// skip it. xmlWriter (below) writes these types.
type junitSuite struct {
	Name                             string
	Tests, Failures, Errors, Skipped int
	Time                             string
	Timestamp                        string // left out when empty
	Properties                       *junitProps
	Cases                            []junitCase
	SystemOut                        *junitCharData
}

type junitProps struct {
	Props []junitProp
}

type junitProp struct {
	Name  string
	Value string
}

type junitCase struct {
	Name       string
	Classname  string
	Time       string
	Properties *junitProps
	Skipped    *junitResult
	Failure    *junitResult
	Error      *junitResult
	SystemOut  *junitCharData
}

type junitResult struct {
	Message string // left out when empty, as Type
	Type    string
	Body    string
}

type junitCharData struct {
	Text string
}

// maxJUnitText bounds each message and body: a hop's texts are bounded
// already (the runner keeps 4 challenges of 1 KiB, --show-body at most
// chain.MaxBodyBytes), this is a last stop.
const maxJUnitText = 64 << 10

// seconds is a duration in seconds with millisecond precision, the form
// junit-10.xsd's SUREFIRE_TIME takes ("0.012").
func seconds(ms float64) string { return strconv.FormatFloat(ms/1000, 'f', 3, 64) }

// props builds a <properties> block from name, value pairs, leaving out
// empty values; nil when all are.
func props(kv ...string) *junitProps {
	p := &junitProps{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			p.Props = append(p.Props, junitProp{Name: kv[i], Value: clean(textCut(kv[i+1]))})
		}
	}
	if len(p.Props) == 0 {
		return nil
	}
	return p
}

func textCut(s string) string {
	if len(s) <= maxJUnitText {
		return s
	}
	return strings.ToValidUTF8(s[:maxJUnitText], "") + "…"
}

// ChainJUnit is the chain report as JUnit XML: one <testsuite name="jwtrace
// chain"> with one <testcase> per hop (its name "hop N: label", its
// classname the chain file or "chain", its time the hop's latency). A hop
// that did not answer as expected, or whose declared rules disagree with
// the server, is a <failure> (an <error> when there was no HTTP answer)
// whose type is Judge's and whose message and body say the verdict, the
// cause and the hint; a hop not sent is <skipped/>. The prediction is a
// property of the test case.
func ChainJUnit(rep *chain.Report, info Chain) []byte {
	class := "chain"
	if info.Source != "" {
		class = clean(info.Source)
	}
	s := junitSuite{Name: "jwtrace chain", Tests: len(rep.Hops)}
	if !info.At.IsZero() {
		s.Timestamp = info.At.UTC().Format(time.RFC3339)
	}
	token := "token"
	if !info.ShowToken {
		token = "token_masked"
	}
	s.Properties = props(token, info.shown(), "token_info", info.TokenInfo, "chain_file", info.Source, "summary", rep.Summary.Text)
	var total float64
	for _, r := range rep.Hops {
		total += r.LatencyMS
		c := junitCase{
			Name:      clean(textCut(fmt.Sprintf("hop %d: %s", r.Index, Label(r)))),
			Classname: class,
			Time:      seconds(r.LatencyMS),
		}
		agrees := ""
		if r.Agrees != nil {
			agrees = strconv.FormatBool(*r.Agrees)
		}
		status := ""
		if r.Status != 0 {
			status = strconv.Itoa(r.Status)
		}
		var predFailed, predError, claim string
		if p := r.Prediction; p != nil {
			predFailed, predError = strings.Join(p.Failed, ","), p.Error
		}
		if r.Cause != nil {
			claim = r.Cause.Claim
		}
		c.Properties = props(
			"method", method(r), "url", r.URL, "verdict", string(r.Verdict), "status", status,
			"expected", chain.ExpectText(r.Expected), "latency_ms", strconv.FormatFloat(r.LatencyMS, 'f', 3, 64),
			"prediction", Prediction(r), "prediction_failed", predFailed, "prediction_error", predError,
			"agrees", agrees, "cause", claim)
		kind, typ := Judge(r)
		res := &junitResult{Message: clean(textCut(Message(r))), Type: typ, Body: detailsText(r)}
		switch kind {
		case NotSent:
			s.Skipped++
			c.Skipped = &junitResult{Message: "not sent: an earlier hop answered unexpectedly (--stop-on-failure)"}
		case Failure:
			s.Failures++
			c.Failure = res
		case NoAnswer:
			s.Errors++
			c.Error = res
		}
		s.Cases = append(s.Cases, c)
	}
	s.Time = seconds(total)
	return marshalJUnit(s)
}

// detailsText is Details as "label: text" lines, each made safe.
func detailsText(r *chain.Result) string {
	var b strings.Builder
	for _, d := range Details(r) {
		b.WriteString(d[0] + ": " + cleanLines(d[1]) + "\n")
	}
	return textCut(b.String())
}

// marshalJUnit writes s as an XML document. It writes what encoding/xml's
// Encoder with Indent("", "  ") wrote for these types when they carried
// xml tags (TestJUnitWriterIsEncodingXML compares the two), without
// linking encoding/xml: that package's init builds an 18 KB entity map at
// every jwtrace start, whatever the command (issue 18, start-up).
func marshalJUnit(s junitSuite) []byte {
	var w xmlWriter
	w.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.open("testsuite", "name", s.Name, "tests", strconv.Itoa(s.Tests), "failures", strconv.Itoa(s.Failures),
		"errors", strconv.Itoa(s.Errors), "skipped", strconv.Itoa(s.Skipped), "time", s.Time, "?timestamp", s.Timestamp)
	w.props(s.Properties)
	for _, c := range s.Cases {
		w.open("testcase", "name", c.Name, "classname", c.Classname, "time", c.Time)
		w.props(c.Properties)
		w.result("skipped", c.Skipped)
		w.result("failure", c.Failure)
		w.result("error", c.Error)
		w.charData("system-out", c.SystemOut)
		w.close("testcase")
	}
	w.charData("system-out", s.SystemOut)
	w.close("testsuite")
	w.b.WriteByte('\n')
	return w.b.Bytes()
}

// xmlWriter writes elements indented by two spaces, each on its own line,
// an element's character data on the line of its tags.
type xmlWriter struct {
	b     bytes.Buffer
	depth int
	// children[i] is whether the open element at depth i has child
	// elements (then its end tag goes on a line of its own).
	children []bool
	started  bool
}

// open writes a start tag with attributes given as name, value pairs; a
// name starting with '?' is left out when its value is empty.
func (w *xmlWriter) open(name string, attrs ...string) {
	w.start(name, attrs...)
	w.b.WriteByte('>')
}

func (w *xmlWriter) start(name string, attrs ...string) {
	if w.depth > 0 {
		w.children[w.depth-1] = true
	}
	if w.started {
		w.b.WriteByte('\n')
	}
	w.started = true
	w.b.WriteString(strings.Repeat("  ", w.depth))
	w.b.WriteString("<" + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		k, v := attrs[i], attrs[i+1]
		if strings.HasPrefix(k, "?") {
			if v == "" {
				continue
			}
			k = k[1:]
		}
		w.b.WriteString(" " + k + `="`)
		xmlEscape(&w.b, v)
		w.b.WriteByte('"')
	}
	w.depth++
	w.children = append(w.children[:w.depth-1], false)
}

func (w *xmlWriter) close(name string) {
	w.depth--
	if w.children[w.depth] {
		w.b.WriteString("\n" + strings.Repeat("  ", w.depth))
	}
	w.b.WriteString("</" + name + ">")
}

func (w *xmlWriter) props(p *junitProps) {
	if p == nil {
		return
	}
	w.open("properties")
	for _, pr := range p.Props {
		w.open("property", "name", pr.Name, "value", pr.Value)
		w.close("property")
	}
	w.close("properties")
}

func (w *xmlWriter) result(name string, r *junitResult) {
	if r == nil {
		return
	}
	w.open(name, "?message", r.Message, "?type", r.Type)
	xmlEscape(&w.b, r.Body)
	w.close(name)
}

func (w *xmlWriter) charData(name string, c *junitCharData) {
	if c == nil {
		return
	}
	w.open(name)
	xmlEscape(&w.b, c.Text)
	w.close(name)
}

// xmlEscape writes s escaped for character data and attribute values
// alike, as encoding/xml's EscapeText does (Go 1.26 encoding/xml/xml.go,
// escapeText with escapeNewline): the five markup characters as
// references, tab, newline and carriage return as character references (so
// that an attribute keeps them), and what XML 1.0 §2.2 does not allow
// (control characters, invalid UTF-8, U+FFFE, U+FFFF) as U+FFFD.
func xmlEscape(b *bytes.Buffer, s string) {
	last := 0
	for i := 0; i < len(s); {
		r, width := utf8.DecodeRuneInString(s[i:])
		i += width
		var esc string
		switch r {
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			if !xmlChar(r) || (r == utf8.RuneError && width == 1) {
				esc = "\uFFFD"
				break
			}
			continue
		}
		b.WriteString(s[last : i-width])
		b.WriteString(esc)
		last = i
	}
	b.WriteString(s[last:])
}

// xmlChar is XML 1.0's Char production (§2.2).
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// Batch is what a verify --batch JUnit report says besides its tokens.
type Batch struct {
	// Source is the --file the tokens came from, "" for stdin.
	Source string
	At     time.Time
}

// BatchJUnit is verify --batch's lines as JUnit XML: one <testsuite
// name="jwtrace verify"> with one <testcase> per token, named by its line
// number; a rejected token is a <failure> whose message names its failed
// checks in words (the details the JSON line's errors give).
func BatchJUnit(lines []verify.BatchLine, info Batch) []byte {
	class := "stdin"
	if info.Source != "" {
		class = clean(info.Source)
	}
	s := junitSuite{Name: "jwtrace verify", Tests: len(lines), Time: seconds(0)}
	if !info.At.IsZero() {
		s.Timestamp = info.At.UTC().Format(time.RFC3339)
	}
	for _, l := range lines {
		c := junitCase{Name: fmt.Sprintf("line %d", l.Line), Classname: class, Time: seconds(0)}
		c.Properties = props("valid", strconv.FormatBool(l.Valid), "failed", strings.Join(l.Failed, ","), "sub", l.Subject, "alg", l.Alg, "kid", l.Kid)
		if !l.Valid {
			s.Failures++
			var msg []string
			var body strings.Builder
			for _, name := range l.Failed {
				detail := l.Errors[name]
				if detail == "" {
					detail = "failed"
				}
				msg = append(msg, name+": "+detail)
				body.WriteString(name + ": " + cleanLines(detail) + "\n")
			}
			if l.Summary != "" {
				body.WriteString("summary: " + cleanLines(l.Summary) + "\n")
			}
			typ := "rejected"
			if len(l.Failed) > 0 {
				typ = l.Failed[0]
			}
			c.Failure = &junitResult{Message: clean(textCut(strings.Join(msg, "; "))), Type: clean(typ), Body: textCut(body.String())}
		}
		s.Cases = append(s.Cases, c)
	}
	return marshalJUnit(s)
}
