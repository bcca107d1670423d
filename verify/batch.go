package verify

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/textsafe"
)

// BatchLine is one line of --batch output. Errors are the failed checks'
// details as the Verifier's Explain renders them (their codes without it).
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
	brief := *v
	brief.brief = true
	v = &brief
	type item struct {
		line    int
		token   string
		tooLong bool
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
					var res *Result
					if it.tooLong {
						res = tooLongResult()
					} else {
						res = v.Verify(ctx, it.token)
					}
					if v.Explain != nil {
						v.Explain(res)
					}
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

	br := bufio.NewReaderSize(r, 64<<10)
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
	for ctx.Err() == nil {
		raw, tooLong, err := readLine(br, decode.MaxTokenBytes+1024)
		if err != nil && len(raw) == 0 && !tooLong {
			if err != io.EOF {
				scanErr = fmt.Errorf("line %d: %w", n+1, err)
			}
			break
		}
		n++
		line := strings.TrimSpace(raw)
		switch {
		case tooLong:
			line = ""
		case line == "":
			continue
		case len(line) > 7 && strings.EqualFold(line[:7], "bearer "):
			line = strings.TrimSpace(line[7:])
		}
		cur.items = append(cur.items, item{line: n, token: line, tooLong: tooLong})
		if len(cur.items) == batchChunk {
			flush()
		}
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

// appendBatchLine appends res as one JSON line, the BatchLine shape. It is
// written by hand because encoding/json's reflection would cost more than
// the rest of the batch's own work per token; TestBatchLineJSON checks it
// against encoding/json.
func appendBatchLine(buf []byte, line int, res *Result) []byte {
	buf = append(buf, `{"line":`...)
	buf = strconv.AppendInt(buf, int64(line), 10)
	buf = append(buf, `,"valid":`...)
	buf = strconv.AppendBool(buf, res.Valid)
	buf = append(buf, `,"summary":`...)
	buf = appendJSONString(buf, res.Summary)
	buf = append(buf, `,"failed":[`...)
	for i, f := range res.Failed {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, f)
	}
	buf = append(buf, ']')
	if !res.Valid {
		buf = append(buf, `,"errors":{`...)
		first := true
		for _, c := range res.Checks {
			if c.Status != Fail {
				continue
			}
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = appendJSONString(buf, c.Name)
			buf = append(buf, ':')
			if c.Detail == "" {
				// Nothing rendered it (a caller without Explain): the
				// code says why.
				buf = appendJSONString(buf, string(c.Code))
			} else {
				buf = appendJSONString(buf, c.Detail)
			}
		}
		buf = append(buf, '}')
	}
	for _, f := range [...]struct{ name, value string }{{"sub", res.Subject}, {"alg", res.Alg}, {"kid", res.Kid}} {
		if f.value != "" {
			buf = append(buf, `,"`+f.name+`":`...)
			buf = appendJSONString(buf, f.value)
		}
	}
	return append(buf, "}\n"...)
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped and invalid UTF-8 replaced with U+FFFD, as
// encoding/json does, and then, as ui.WriteJSON does for --json, every
// textsafe.Risky rune (C1 controls, bidirectional formatting characters,
// U+2028/U+2029) written as a \u escape: batch lines go to terminals too.
func appendJSONString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if textsafe.Risky(r) {
			buf = append(buf, s[start:i]...)
			buf = textsafe.AppendJSON(buf, r)
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// readLine reads one line (without its newline) of at most limit bytes;
// a longer line is skipped to its end and reported as tooLong.
func readLine(br *bufio.Reader, limit int) (line string, tooLong bool, err error) {
	var buf []byte
	for {
		frag, err := br.ReadSlice('\n')
		if len(buf)+len(frag) > limit {
			tooLong = true
		} else {
			buf = append(buf, frag...)
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
			return strings.TrimSuffix(string(buf), "\n"), tooLong, nil
		default:
			return string(buf), tooLong, err
		}
	}
}

// tooLongResult is the answer for a line longer than any token.
func tooLongResult() *Result {
	r := &Result{Checks: []Check{{Name: CheckFormat, Status: Fail, Code: CodeFormatLineTooLong, Params: Params{{"max", strconv.Itoa(decode.MaxTokenBytes)}}}}}
	r.finish()
	return r
}
