package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/chain"
	"github.com/jwtrace/jwtrace/verify"
)

// The JUnit XML shape is that of Jenkins' xunit plugin junit-10.xsd
// (testdata/junit/), which the common CI test-report viewers read, with one
// addition: a <properties> block in a <testcase>, as pytest's
// record_property writes in its xunit1 family; readers that do not know it
// skip it.
type junitSuite struct {
	XMLName    xml.Name       `xml:"testsuite"`
	Name       string         `xml:"name,attr"`
	Tests      int            `xml:"tests,attr"`
	Failures   int            `xml:"failures,attr"`
	Errors     int            `xml:"errors,attr"`
	Skipped    int            `xml:"skipped,attr"`
	Time       string         `xml:"time,attr"`
	Timestamp  string         `xml:"timestamp,attr,omitempty"`
	Properties *junitProps    `xml:"properties,omitempty"`
	Cases      []junitCase    `xml:"testcase"`
	SystemOut  *junitCharData `xml:"system-out,omitempty"`
}

type junitProps struct {
	Props []junitProp `xml:"property"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name       string         `xml:"name,attr"`
	Classname  string         `xml:"classname,attr"`
	Time       string         `xml:"time,attr"`
	Properties *junitProps    `xml:"properties,omitempty"`
	Skipped    *junitResult   `xml:"skipped,omitempty"`
	Failure    *junitResult   `xml:"failure,omitempty"`
	Error      *junitResult   `xml:"error,omitempty"`
	SystemOut  *junitCharData `xml:"system-out,omitempty"`
}

type junitResult struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

type junitCharData struct {
	Text string `xml:",chardata"`
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

func marshalJUnit(s junitSuite) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	// The structs hold strings only: encoding cannot fail.
	if err := enc.Encode(s); err != nil {
		panic("report: JUnit XML: " + err.Error())
	}
	b.WriteByte('\n')
	return b.Bytes()
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
