package verify

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"

	"github.com/jwtrace/jwtrace/decode"
)

// BatchLine is one line of --batch output.
type BatchLine struct {
	// Line is the input line number (1-based).
	Line    int    `json:"line"`
	Valid   bool   `json:"valid"`
	Summary string `json:"summary"`
	// Failed names the failed checks; Errors gives each one's detail.
	Failed  []string          `json:"failed"`
	Errors  map[string]string `json:"errors,omitempty"`
	Subject string            `json:"sub,omitempty"`
	Alg     string            `json:"alg,omitempty"`
	Kid     string            `json:"kid,omitempty"`
}

// BatchStats counts a batch's tokens.
type BatchStats struct {
	Tokens, Valid, Rejected int
}

// batchChunk is how many tokens one worker takes at a time: enough to make
// the hand-over cheap, few enough to keep output flowing.
const batchChunk = 64

// Batch verifies one token per line of r (blank lines are skipped; a
// "Bearer " prefix is allowed) and writes one JSON line per token to w, in
// input order. workers <= 0 means one per CPU. The keys are those of the
// verifier, fetched once.
func (v *Verifier) Batch(ctx context.Context, r io.Reader, w io.Writer, workers int) (BatchStats, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	type item struct {
		line  int
		token string
	}
	type chunk struct {
		items           []item
		out             []byte
		valid, rejected int
		done            chan struct{}
	}
	var stats BatchStats
	jobs := make(chan *chunk, workers*2)
	ordered := make(chan *chunk, workers*4)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				var buf []byte
				for _, it := range c.items {
					res := v.Verify(ctx, it.token)
					if res.Valid {
						c.valid++
					} else {
						c.rejected++
					}
					buf = appendBatchLine(buf, it.line, res)
				}
				c.out = buf
				close(c.done)
			}
		}()
	}
	// The writer takes chunks in input order.
	writeErr := make(chan error, 1)
	go func() {
		bw := bufio.NewWriterSize(w, 64<<10)
		var err error
		for c := range ordered {
			<-c.done
			stats.Tokens += c.valid + c.rejected
			stats.Valid += c.valid
			stats.Rejected += c.rejected
			if err == nil {
				_, err = bw.Write(c.out)
			}
		}
		if err == nil {
			err = bw.Flush()
		}
		writeErr <- err
	}()

	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), decode.MaxTokenBytes+1024)
	n := 0
	cur := &chunk{done: make(chan struct{})}
	flush := func() {
		if len(cur.items) == 0 {
			return
		}
		ordered <- cur
		jobs <- cur
		cur = &chunk{done: make(chan struct{})}
	}
	var scanErr error
	for sc.Scan() {
		n++
		if ctx.Err() != nil {
			break
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if len(line) > 7 && strings.EqualFold(line[:7], "bearer ") {
			line = strings.TrimSpace(line[7:])
		}
		cur.items = append(cur.items, item{n, line})
		if len(cur.items) == batchChunk {
			flush()
		}
	}
	if err := sc.Err(); err != nil {
		scanErr = fmt.Errorf("line %d: %w", n+1, err)
	}
	flush()
	close(jobs)
	close(ordered)
	wg.Wait()
	if err := <-writeErr; err != nil {
		return stats, err
	}
	if err := ctx.Err(); err != nil {
		return stats, err
	}
	return stats, scanErr
}

// appendBatchLine appends res as one JSON line.
func appendBatchLine(buf []byte, line int, res *Result) []byte {
	bl := BatchLine{Line: line, Valid: res.Valid, Summary: res.Summary, Failed: res.Failed, Subject: res.Subject, Alg: res.Alg, Kid: res.Kid}
	if !res.Valid {
		bl.Errors = make(map[string]string, len(res.Failed))
		for _, c := range res.Checks {
			if c.Status == Fail {
				bl.Errors[c.Name] = c.Detail
			}
		}
	}
	b, err := json.Marshal(bl)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"line":%d,"valid":false,"summary":"internal error"}`, line))
	}
	return append(append(buf, b...), '\n')
}
