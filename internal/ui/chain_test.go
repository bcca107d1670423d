package ui

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/jwtrace/jwtrace/chain"
)

func chainReportText(t *testing.T, width int) string {
	t.Helper()
	var buf bytes.Buffer
	s := &Streams{Env: []string{"TERM=dumb"}}
	p := s.Printer(&buf)
	hops := []chain.Hop{
		{Name: "workouts", Method: "GET", URL: "http://127.0.0.1:8081/workouts/2026/november/entries"},
		{Name: "billing", Method: "POST", URL: "http://127.0.0.1:8083/billing/plan"},
		{Name: "reports", Method: "GET", URL: "https://reports.internal.example.com/api/v2/reports/monthly-summary?team=platform"},
	}
	table := p.ChainHeader(ChainView{Token: "RS256 kid mxbedhNdrFUY8FjmAL98Dttmpc5u3zz4mrZrLlkDE2Q · sub alice · aud api://workouts · valid for 59m more", Masked: "eyJhbGci…Q2xk", Hops: hops, Width: width})
	no, yes := false, true
	results := []*chain.Result{
		{Index: 1, Status: 200, Verdict: chain.Accepted, AsExpected: true, LatencyMS: 4.2, Prediction: &chain.Prediction{Accept: true}, Agrees: &yes},
		{Index: 2, Status: 401, Verdict: chain.Rejected, LatencyMS: 12, Prediction: &chain.Prediction{Accept: true}, Agrees: &no,
			WWWAuthenticate: []string{`Bearer error="invalid_token", error_description="The audience api://workouts is not accepted by this service, which expects api://billing"`},
			Cause:           &chain.Cause{Claim: "aud", Detail: "the token's audience api://workouts is not one billing accepts (api://billing)", From: "server"}},
		{Index: 3, Status: 200, Verdict: chain.Accepted, AsExpected: true, LatencyMS: 1200},
	}
	for i, r := range results {
		table.Hop(&hops[i], r)
	}
	table.Summary(&chain.Report{Summary: chain.Summary{Text: "1 of 3 hops did not answer as expected: hop 2 (billing) rejected the token, though its declared rules accept it"}})
	return buf.String()
}

// At a terminal of 80 columns every line of the report fits, wrapped at
// word boundaries; a URL wider than its column is shortened in the middle.
func TestChainReportFitsTheTerminal(t *testing.T) {
	out := chainReportText(t, 80)
	for _, l := range strings.Split(out, "\n") {
		if w := lipgloss.Width(l); w > 80 {
			t.Errorf("%d columns: %q", w, l)
		}
	}
	// Every word of the texts is whole (or shortened with …), never cut
	// at the edge.
	for _, w := range []string{"audience", "api://workouts", "accepted", "expects", "DISAGREES", "declared)", "rejected", "billing", "workouts"} {
		if !strings.Contains(out, w) {
			t.Errorf("%q missing or cut:\n%s", w, out)
		}
	}
	if !strings.Contains(out, "…") {
		t.Errorf("no long URL was shortened:\n%s", out)
	}
	// A row's cells wrap in their own columns: the status column lines
	// up on the rows' first lines.
	lines := strings.Split(out, "\n")
	var cols []int
	for _, l := range lines {
		for _, st := range []string{" 200 ", " 401 "} {
			if i := strings.Index(l, st); i >= 0 {
				cols = append(cols, lipgloss.Width(l[:i]))
			}
		}
	}
	if len(cols) != 3 || cols[0] != cols[1] || cols[1] != cols[2] {
		t.Errorf("status columns at %v:\n%s", cols, out)
	}
}

// Piped, the report keeps its one-line rows (the README's examples).
func TestChainReportPipedIsUnfitted(t *testing.T) {
	out := chainReportText(t, 0)
	row := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "   2  billing") {
			row = l
		}
	}
	if !strings.Contains(row, "POST http://127.0.0.1:8083/billing/plan") || !strings.Contains(row, "rejected") || !strings.Contains(row, "DISAGREES") {
		t.Errorf("row %q\n%s", row, out)
	}
	// A wide terminal needs no fitting either: the same text.
	if wide := chainReportText(t, 300); wide != out {
		t.Errorf("at 300 columns:\n%s\npiped:\n%s", wide, out)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) IsTerminal() bool { return true }

func TestHopProgress(t *testing.T) {
	if p := (&Streams{ErrOut: &bytes.Buffer{}}).HopProgress(3); p != nil {
		t.Fatal("a progress line on a pipe")
	}
	var nilProgress *HopProgress
	nilProgress.Start(1, "x", time.Now())
	nilProgress.Stop()

	buf := &syncBuffer{}
	p := (&Streams{ErrOut: buf, Env: []string{"COLUMNS=40"}}).HopProgress(4)
	p.Delay, p.Every = 10*time.Millisecond, 20*time.Millisecond
	// A hop that answers before Delay draws nothing.
	p.Start(1, "workouts", time.Now())
	p.Stop()
	if buf.String() != "" {
		t.Fatalf("a fast hop drew %q", buf.String())
	}
	p.Start(2, "billing\x1b[31m", time.Now().Add(-3*time.Second))
	time.Sleep(60 * time.Millisecond)
	p.Stop()
	got := buf.String()
	if !strings.Contains(got, "→ 2/4 billing") || !strings.Contains(got, "… 3s") || !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("%q", got)
	}
	if strings.Contains(got, "\x1b[31m") {
		t.Errorf("the label reached the terminal raw: %q", got)
	}
	// A long label is cut to the terminal's width.
	buf.mu.Lock()
	buf.buf.Reset()
	buf.mu.Unlock()
	p.Start(3, "GET https://reports.internal.example.com/api/v2/reports/monthly", time.Now().Add(-time.Second))
	time.Sleep(30 * time.Millisecond)
	p.Stop()
	for _, l := range strings.Split(strings.ReplaceAll(buf.String(), "\r\x1b[K", "\n"), "\n") {
		if len([]rune(l)) >= 40 {
			t.Errorf("%d columns: %q", len([]rune(l)), l)
		}
	}
}
