package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/chain"
	"github.com/jwtrace/jwtrace/verify"
	"github.com/jwtrace/jwtrace/verify/explain"
)

// upstreamXSD is testdata/junit/junit-10.xsd's sha256 (its README says
// where it comes from): the file is the upstream schema, unchanged.
const upstreamXSD = "a1a816f58d1bf95ebabf371994df0b9246dee66ea9572fbec4f9296f1b2c0ff6"

// schema is the upstream junit-10.xsd with <properties> allowed in a
// <testcase> (testdata/junit/README.md says why), written to a temporary
// file.
func schema(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "junit", "junit-10.xsd"))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != upstreamXSD {
		t.Fatalf("testdata/junit/junit-10.xsd is not the upstream file its README names (sha256 %x)", sum)
	}
	const choice = "<xs:choice minOccurs=\"0\" maxOccurs=\"unbounded\">\n                    <xs:element ref=\"skipped\"/>"
	if strings.Count(string(b), choice) != 1 {
		t.Fatal("junit-10.xsd: the testcase's choice is not where the test adds <properties>")
	}
	derived := strings.Replace(string(b), choice, "<xs:choice minOccurs=\"0\" maxOccurs=\"unbounded\">\n                    <xs:element ref=\"properties\"/>\n                    <xs:element ref=\"skipped\"/>", 1)
	p := filepath.Join(t.TempDir(), "junit-10-testcase-properties.xsd")
	if err := os.WriteFile(p, []byte(derived), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// xmllint validates doc against the schema; it returns xmllint's output
// and whether the document is valid.
func xmllint(t *testing.T, xsd string, doc []byte) (string, bool) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatal("xmllint is missing: the JUnit XML is validated with it; install it with apt-get install -y libxml2-utils (Debian's package; .ci/run installs it)")
	}
	p := filepath.Join(t.TempDir(), "report.xml")
	if err := os.WriteFile(p, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--nonet", "--noout", "--schema", xsd, p).CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("xmllint: %v", err)
		}
		return string(out), false
	}
	return string(out), true
}

type xSuite struct {
	Name       string  `xml:"name,attr"`
	Tests      int     `xml:"tests,attr"`
	Failures   int     `xml:"failures,attr"`
	Errors     int     `xml:"errors,attr"`
	Skipped    int     `xml:"skipped,attr"`
	Properties []xProp `xml:"properties>property"`
	Cases      []struct {
		Name       string  `xml:"name,attr"`
		Classname  string  `xml:"classname,attr"`
		Time       string  `xml:"time,attr"`
		Properties []xProp `xml:"properties>property"`
		Failure    *xRes   `xml:"failure"`
		Error      *xRes   `xml:"error"`
		Skipped    *xRes   `xml:"skipped"`
	} `xml:"testcase"`
}

type xProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type xRes struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

func prop(ps []xProp, name string) string {
	for _, p := range ps {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// The schema check can fail: a document the schema refuses is refused.
func TestJUnitSchemaRefusesWhatItShould(t *testing.T) {
	xsd := schema(t)
	for name, doc := range map[string]string{
		"a testcase without a name":        `<testsuite name="s" tests="1" failures="0" errors="0"><testcase classname="c"/></testsuite>`,
		"a suite without its counts":       `<testsuite name="s"><testcase name="t"/></testsuite>`,
		"a time the schema does not parse": `<testsuite name="s" tests="1" failures="0" errors="0" time="1.5s"><testcase name="t"/></testsuite>`,
	} {
		if out, ok := xmllint(t, xsd, []byte(doc)); ok {
			t.Errorf("%s: valid?\n%s", name, out)
		}
	}
}

func TestChainJUnit(t *testing.T) {
	w := newWorld(t)
	rep := w.run(t, w.hops(), false)
	doc := ChainJUnit(rep, w.info())
	if out, ok := xmllint(t, schema(t), doc); !ok {
		t.Fatalf("the JUnit XML does not validate:\n%s\n%s", out, doc)
	}
	var s xSuite
	if err := xml.Unmarshal(doc, &s); err != nil {
		t.Fatal(err)
	}
	if s.Name != "jwtrace chain" || s.Tests != 6 || s.Failures != 4 || s.Errors != 1 || s.Skipped != 0 || len(s.Cases) != 6 {
		t.Fatalf("suite %s: %d tests, %d failures, %d errors, %d skipped, %d cases", s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases))
	}
	if got := prop(s.Properties, "token_masked"); got != chain.Mask(w.token) {
		t.Errorf("token property %q, want the masked token", got)
	}
	c := s.Cases
	for i, want := range []string{"hop 1: workouts", "hop 2: billing", "hop 3: legacy", "hop 4: hostile", "hop 5: ledger", "hop 6: archive"} {
		if !strings.HasPrefix(c[i].Name, want) || c[i].Classname != "chains/ci.yaml" {
			t.Errorf("case %d: %q (%s), want %q", i+1, c[i].Name, c[i].Classname, want)
		}
	}
	// workouts: accepted, predicted, agrees: passes.
	if c[0].Failure != nil || c[0].Error != nil || prop(c[0].Properties, "prediction") != "accept" || prop(c[0].Properties, "agrees") != "true" {
		t.Errorf("hop 1: %+v", c[0])
	}
	if c[0].Time == "" || c[0].Time == "0.000" && rep.Hops[0].LatencyMS >= 1 {
		t.Errorf("hop 1's time %q, latency %.3fms", c[0].Time, rep.Hops[0].LatencyMS)
	}
	// billing: rejected; the cause (aud, from its rules) and the hint.
	f := c[1].Failure
	if f == nil || f.Type != "rejected" || prop(c[1].Properties, "prediction") != "reject" || prop(c[1].Properties, "cause") != "aud" {
		t.Fatalf("hop 2: %+v", c[1])
	}
	for _, want := range []string{"hop 2 (billing) rejected", "(401)", "cause: aud: ", "hop 2's declared rules", "hint: "} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("hop 2's message %q lacks %q", f.Message, want)
		}
	}
	for _, want := range []string{"verdict: rejected", "status: 401", "cause: aud", "hint: ", "WWW-Authenticate: Bearer"} {
		if !strings.Contains(f.Body, want) {
			t.Errorf("hop 2's body lacks %q:\n%s", want, f.Body)
		}
	}
	// legacy: answered as expected, but its rules disagree.
	if f := c[2].Failure; f == nil || f.Type != "disagrees" || !strings.Contains(f.Message, "DISAGREES: the server accepted the token, but its declared rules reject it") || prop(c[2].Properties, "agrees") != "false" {
		t.Errorf("hop 3: %+v", c[2])
	}
	if f := c[4].Failure; f == nil || f.Type != "failed" || !strings.Contains(f.Message, "failed (502)") {
		t.Errorf("hop 5: %+v", c[4])
	}
	if e := c[5].Error; e == nil || e.Type != "refused" || !strings.Contains(e.Message, "connection refused") {
		t.Errorf("hop 6: %+v", c[5])
	}

	// The hostile server's text is escaped: it is text in the document
	// (the parser reads it back), never markup, and no control or
	// bidirectional character is left raw.
	h := c[3].Failure
	if h == nil || h.Type != "rejected" {
		t.Fatalf("hop 4: %+v", c[3])
	}
	if !strings.Contains(h.Body, "<script>alert(1)</script> ]]> &") || !strings.Contains(h.Body, `\x1b[31mred`) || !strings.Contains(h.Body, `\u202edesrever`) {
		t.Errorf("hop 4's body does not read the server's text back, escaped:\n%s", h.Body)
	}
	if bytes.Contains(doc, []byte("<script>")) || bytes.ContainsAny(doc, "\x1b\x00\u202e") {
		t.Errorf("the document holds the server's text raw:\n%s", doc)
	}
	for _, part := range w.tokenParts() {
		if bytes.Contains(doc, []byte(part)) {
			t.Fatalf("the JUnit XML holds the token (or a part of it)")
		}
	}
}

// With --stop-on-failure, the hops after the first unexpected answer are
// skipped test cases; with --show-token the token is there whole, as the
// terminal shows it.
func TestChainJUnitSkippedAndShownToken(t *testing.T) {
	w := newWorld(t)
	rep := w.run(t, w.hops()[:3], true)
	info := w.info()
	info.ShowToken = true
	doc := ChainJUnit(rep, info)
	if out, ok := xmllint(t, schema(t), doc); !ok {
		t.Fatalf("the JUnit XML does not validate:\n%s\n%s", out, doc)
	}
	var s xSuite
	if err := xml.Unmarshal(doc, &s); err != nil {
		t.Fatal(err)
	}
	if s.Tests != 3 || s.Failures != 1 || s.Skipped != 1 || s.Cases[2].Skipped == nil || s.Cases[2].Failure != nil {
		t.Fatalf("%+v", s)
	}
	if prop(s.Properties, "token") != w.token {
		t.Errorf("--show-token: the token property is %q", prop(s.Properties, "token"))
	}
}

// verify --batch's results, read from the JSON lines it writes, as JUnit:
// one case per token, the failed checks in words.
func TestBatchJUnit(t *testing.T) {
	a := authoritytest.Start(t)
	good := a.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts"})
	other := a.Mint(t, map[string]any{"sub": "bob", "aud": "api://billing"})
	input := good + "\n\nBearer " + other + "\nnot-a-token <&>\x1b\n"
	var out bytes.Buffer
	lines := &BatchLines{}
	_, err := verify.Run(context.Background(), verify.Request{
		Policy:   verify.Policy{Authority: verify.Some(a.URL), Audience: verify.List("api://workouts")},
		At:       time.Now(),
		Fetcher:  &verify.Fetcher{AllowHTTP: true},
		Batch:    strings.NewReader(input),
		BatchOut: io.MultiWriter(&out, lines),
		Explain:  explain.CLI.FillFailures,
	})
	if err != nil {
		t.Fatal(err)
	}
	if lines.Err() != nil || len(lines.Lines) != 3 || strings.Count(out.String(), "\n") != 3 {
		t.Fatalf("%v: %d lines from\n%s", lines.Err(), len(lines.Lines), out.String())
	}
	doc := BatchJUnit(lines.Lines, Batch{Source: "tokens.txt", At: time.Now()})
	if out, ok := xmllint(t, schema(t), doc); !ok {
		t.Fatalf("the JUnit XML does not validate:\n%s\n%s", out, doc)
	}
	var s xSuite
	if err := xml.Unmarshal(doc, &s); err != nil {
		t.Fatal(err)
	}
	if s.Name != "jwtrace verify" || s.Tests != 3 || s.Failures != 2 {
		t.Fatalf("%+v", s)
	}
	c := s.Cases
	if c[0].Name != "line 1" || c[0].Failure != nil || c[0].Classname != "tokens.txt" || prop(c[0].Properties, "sub") != "alice" {
		t.Errorf("line 1: %+v", c[0])
	}
	if c[1].Name != "line 3" || c[1].Failure == nil || !strings.HasPrefix(c[1].Failure.Message, "audience: ") || !strings.Contains(c[1].Failure.Message, "api://billing") {
		t.Errorf("line 3: %+v", c[1])
	}
	if c[2].Name != "line 4" || c[2].Failure == nil || c[2].Failure.Message == "" {
		t.Errorf("line 4: %+v", c[2])
	}
	if bytes.Contains(doc, []byte(good)) || bytes.Contains(doc, []byte(other)) {
		t.Error("the JUnit XML holds a token")
	}
}

// BatchLines reads lines cut anywhere across writes.
func TestBatchLinesAcrossWrites(t *testing.T) {
	text := `{"line":1,"valid":true,"summary":"ok","failed":[]}` + "\n" + `{"line":2,"valid":false,"summary":"no","failed":["audience"],"errors":{"audience":"wrong"}}` + "\n"
	for cut := 0; cut <= len(text); cut++ {
		b := &BatchLines{}
		b.Write([]byte(text[:cut]))
		b.Write([]byte(text[cut:]))
		if b.Err() != nil || len(b.Lines) != 2 || b.Lines[1].Errors["audience"] != "wrong" {
			t.Fatalf("cut at %d: %v %+v", cut, b.Err(), b.Lines)
		}
	}
	b := &BatchLines{}
	b.Write([]byte(`{"line":1`))
	if b.Err() == nil {
		t.Error("an incomplete last line is not said")
	}
}

// The JUnit types as they were, with encoding/xml's tags: the reference
// the writer is held to.
type refSuite struct {
	XMLName    xml.Name     `xml:"testsuite"`
	Name       string       `xml:"name,attr"`
	Tests      int          `xml:"tests,attr"`
	Failures   int          `xml:"failures,attr"`
	Errors     int          `xml:"errors,attr"`
	Skipped    int          `xml:"skipped,attr"`
	Time       string       `xml:"time,attr"`
	Timestamp  string       `xml:"timestamp,attr,omitempty"`
	Properties *refProps    `xml:"properties,omitempty"`
	Cases      []refCase    `xml:"testcase"`
	SystemOut  *refCharData `xml:"system-out,omitempty"`
}

type refProps struct {
	Props []refProp `xml:"property"`
}

type refProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type refCase struct {
	Name       string       `xml:"name,attr"`
	Classname  string       `xml:"classname,attr"`
	Time       string       `xml:"time,attr"`
	Properties *refProps    `xml:"properties,omitempty"`
	Skipped    *refResult   `xml:"skipped,omitempty"`
	Failure    *refResult   `xml:"failure,omitempty"`
	Error      *refResult   `xml:"error,omitempty"`
	SystemOut  *refCharData `xml:"system-out,omitempty"`
}

type refResult struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

type refCharData struct {
	Text string `xml:",chardata"`
}

func refOf(s junitSuite) refSuite {
	props := func(p *junitProps) *refProps {
		if p == nil {
			return nil
		}
		out := &refProps{}
		for _, pr := range p.Props {
			out.Props = append(out.Props, refProp(pr))
		}
		return out
	}
	res := func(r *junitResult) *refResult {
		if r == nil {
			return nil
		}
		return &refResult{r.Message, r.Type, r.Body}
	}
	cd := func(c *junitCharData) *refCharData {
		if c == nil {
			return nil
		}
		return &refCharData{c.Text}
	}
	out := refSuite{Name: s.Name, Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Skipped: s.Skipped,
		Time: s.Time, Timestamp: s.Timestamp, Properties: props(s.Properties), SystemOut: cd(s.SystemOut)}
	for _, c := range s.Cases {
		out.Cases = append(out.Cases, refCase{Name: c.Name, Classname: c.Classname, Time: c.Time,
			Properties: props(c.Properties), Skipped: res(c.Skipped), Failure: res(c.Failure), Error: res(c.Error), SystemOut: cd(c.SystemOut)})
	}
	return out
}

func refMarshal(t *testing.T, s junitSuite) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(refOf(s)); err != nil {
		t.Fatal(err)
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// The hand-written writer (encoding/xml is not linked, for start-up) writes
// byte for byte what encoding/xml wrote, hostile text included, and what it
// writes parses back to the same strings.
func TestJUnitWriterIsEncodingXML(t *testing.T) {
	hostile := []string{
		"", "plain", `<script>alert("x")</script> & 'q'`, "]]> <![CDATA[", "tab\there", "lines\nand\r\nreturns",
		"nul\x00 esc\x1b[31m bell\x07", "bad utf-8 \xff\xfe end", "\uFFFE\uFFFF noncharacters", "\uFFFD replacement",
		"emoji 🔑 and bidi \u202e", "\x7f del", "surrogate-ish \xed\xa0\x80",
	}
	for i, h := range hostile {
		s := junitSuite{Name: "suite " + h, Tests: 3, Failures: 1, Errors: 1, Skipped: 1, Time: "0.001", Timestamp: h,
			Properties: &junitProps{Props: []junitProp{{"p", h}, {h, "v"}}},
			Cases: []junitCase{
				{Name: h, Classname: "c", Time: "0.000", Failure: &junitResult{Message: h, Type: h, Body: h}},
				{Name: "e", Classname: h, Time: "0.000", Properties: &junitProps{Props: []junitProp{{"x", "y"}}}, Error: &junitResult{Body: h}},
				{Name: "s", Classname: "c", Time: h, Skipped: &junitResult{Message: h}, SystemOut: &junitCharData{h}},
				{Name: "bare", Classname: "c", Time: "0"},
			},
			SystemOut: &junitCharData{h},
		}
		got, want := marshalJUnit(s), refMarshal(t, s)
		if !bytes.Equal(got, want) {
			t.Errorf("case %d (%q):\n got %q\nwant %q", i, h, got, want)
		}
		var back refSuite
		if err := xml.Unmarshal(got, &back); err != nil {
			t.Errorf("case %d: the document does not parse: %v", i, err)
		}
	}
	// Empty suites, and a suite with no properties, cases or output.
	for _, s := range []junitSuite{{}, {Name: "n", Time: "0.000"}} {
		if got, want := marshalJUnit(s), refMarshal(t, s); !bytes.Equal(got, want) {
			t.Errorf("%+v:\n got %q\nwant %q", s, got, want)
		}
	}
}
