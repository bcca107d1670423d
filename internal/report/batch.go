package report

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/jwtrace/jwtrace/verify"
)

// BatchLines collects verify --batch's results from the JSON lines it
// writes (verify.BatchLine, one per token, in input order): give it to
// the batch as a second writer (io.MultiWriter(stdout, lines)). It never
// fails a write, so that stdout gets every line whatever happens here;
// Err says what went wrong.
type BatchLines struct {
	Lines []verify.BatchLine
	buf   []byte
	err   error
}

// maxBatchLine bounds one JSON line kept while it is incomplete: a line
// holds a token's claims' texts at most, each bounded by the token's
// size (decode.MaxTokenBytes).
const maxBatchLine = 8 << 20

// Write takes the next bytes of the JSON lines.
func (b *BatchLines) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(b.buf)+len(p) > maxBatchLine {
				b.fail(fmt.Errorf("a result line is longer than %d bytes", maxBatchLine))
				b.buf = b.buf[:0]
			} else {
				b.buf = append(b.buf, p...)
			}
			break
		}
		line := p[:i]
		if len(b.buf) > 0 {
			line = append(b.buf, line...)
		}
		b.take(line)
		b.buf = b.buf[:0]
		p = p[i+1:]
	}
	return n, nil
}

func (b *BatchLines) take(line []byte) {
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}
	var l verify.BatchLine
	if err := json.Unmarshal(line, &l); err != nil {
		b.fail(fmt.Errorf("a result line is not JSON: %v", err))
		return
	}
	b.Lines = append(b.Lines, l)
}

func (b *BatchLines) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// Err is the first line that could not be read, or a last line left
// without its newline.
func (b *BatchLines) Err() error {
	if b.err == nil && len(bytes.TrimSpace(b.buf)) > 0 {
		return fmt.Errorf("the last result line is incomplete")
	}
	return b.err
}
