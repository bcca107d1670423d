package chain

import (
	"bytes"
	"fmt"
)

// Bounds on a chain file's shape, checked by prescan before the YAML
// parser sees the file. The parser (goccy/go-yaml v1.19.2) needs memory
// that grows with the square of the nesting depth (150 KB of "[" take
// gigabytes), time that grows with the square of a mapping's keys, and its
// error printer time that grows with the square of a line's tokens. A
// chain file needs little of any of it.
const (
	// MaxFileDepth is how deeply lists and mappings may nest, block and
	// flow together (a hop's rules' audience list is at depth 5).
	MaxFileDepth = 32
	// MaxFileEntries is how many entries one list or mapping may have: a
	// chain of MaxHops hops, or a hop with as many headers.
	MaxFileEntries = 1024
	// maxFileItems bounds the entries of the whole file.
	maxFileItems = 1 << 16
	// maxFileOpeners bounds the "[" and "{" of the whole file, wherever
	// they are (in quotes and comments too): it bounds the nesting depth
	// the parser can see even where prescan's reading of quotes differs
	// from the parser's. The parser takes about 180 MB at that depth.
	maxFileOpeners = 4096
	// maxSourceLine is the longest line an error message quotes: the
	// parser's error printer is slow on long lines.
	maxSourceLine = 1024
)

// prescanError is a file refused by prescan, at a line.
type prescanError struct {
	line int
	msg  string
}

func (e *prescanError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// prescan checks the file's nesting depth and entry counts with a cheap
// reading of YAML's structure (YAML 1.2.2 §6.1 indentation, §7.4 flow
// collections, §7.3 quoted scalars, §8.1 block scalars, §6.6 comments),
// before the parser builds anything. It is conservative where it cannot
// tell: a "[" or "{" it is unsure of counts, a closing one it is unsure of
// does not. It reports whether some line is longer than maxSourceLine.
func prescan(data []byte) (longLines bool, err error) {
	type level struct{ col, entries int }
	var (
		block   []level
		flow    []int // entries of each open flow collection
		quote   byte  // the open quoted scalar's quote, or 0
		literal = -1  // the parent column of an open block scalar, or -1
		openers int
		items   int
		prev    byte // the last byte that is not a space; 0 at the start of a value
		sep     bool // a space since prev
	)
	fail := func(line int, format string, args ...any) (bool, error) {
		return longLines, &prescanError{line, fmt.Sprintf(format, args...)}
	}
	tooDeep := "nested more than %d levels deep: a chain file needs a few (hops, a hop's keys, its rules and their lists)"
	tooMany := "more than %d entries in one list or mapping (a chain has at most %d hops)"
	for line := 1; len(data) > 0; line++ {
		text := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			text, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		text = bytes.TrimSuffix(text, []byte("\r"))
		if len(text) > maxSourceLine {
			longLines = true
		}
		indent := 0
		for indent < len(text) && text[indent] == ' ' {
			indent++
		}
		if literal >= 0 {
			if indent == len(text) || indent > literal {
				continue // the block scalar's content
			}
			literal = -1
		}
		i := 0
		if quote == 0 && len(flow) == 0 {
			if indent == len(text) || text[indent] == '#' {
				continue
			}
			// A block entry at column col: deeper ones end, one at the
			// same column is the next entry of its collection.
			enter := func(col int) bool {
				for len(block) > 0 && block[len(block)-1].col > col {
					block = block[:len(block)-1]
				}
				items++
				if n := len(block); n > 0 && block[n-1].col == col {
					block[n-1].entries++
					return block[n-1].entries <= MaxFileEntries
				}
				block = append(block, level{col, 1})
				return true
			}
			i = indent
			for {
				if !enter(i) {
					return fail(line, tooMany, MaxFileEntries, MaxHops)
				}
				if len(block) > MaxFileDepth {
					return fail(line, tooDeep, MaxFileDepth)
				}
				// "- " and "? " start a nested entry on the same line.
				if i < len(text) && (text[i] == '-' || text[i] == '?') && (i+1 == len(text) || text[i+1] == ' ') {
					i++
					for i < len(text) && text[i] == ' ' {
						i++
					}
					if i < len(text) && text[i] != '#' {
						continue
					}
				}
				break
			}
			prev, sep = 0, i > 0 && text[i-1] == ' '
		}
		// valueStart reports whether a quote or a bracket here starts a
		// scalar or a collection, not the middle of a plain scalar.
		valueStart := func() bool {
			switch prev {
			case 0, '[', '{', ',':
				return true
			case ':':
				return sep || len(flow) > 0
			case '-', '?':
				return sep
			}
			return false
		}
	scan:
		for ; i < len(text); i++ {
			c := text[i]
			switch quote {
			case '\'':
				if c == '\'' {
					if i+1 < len(text) && text[i+1] == '\'' {
						i++
					} else {
						quote, prev, sep = 0, c, false
					}
				}
				continue
			case '"':
				if c == '\\' {
					i++
				} else if c == '"' {
					quote, prev, sep = 0, c, false
				}
				continue
			}
			switch c {
			case ' ', '\t':
				sep = true
				continue
			case '#':
				if i == 0 || sep {
					break scan
				}
			case '\'', '"':
				if valueStart() {
					quote = c
					continue
				}
			case '[', '{':
				if len(flow) > 0 || valueStart() {
					flow = append(flow, 0)
					items++
					if len(block)+len(flow) > MaxFileDepth {
						return fail(line, tooDeep, MaxFileDepth)
					}
				}
			case ']', '}':
				if len(flow) > 0 {
					flow = flow[:len(flow)-1]
				}
			case ',':
				if n := len(flow); n > 0 {
					flow[n-1]++
					items++
					if flow[n-1] >= MaxFileEntries {
						return fail(line, tooMany, MaxFileEntries, MaxHops)
					}
				}
			case '|', '>':
				if len(flow) == 0 && valueStart() {
					// A block scalar: the lines after it that are more
					// indented than its key are its content.
					literal = 0
					if n := len(block); n > 0 {
						literal = block[n-1].col
					}
					break scan
				}
			}
			prev, sep = c, false
		}
		if items > maxFileItems {
			return fail(line, "more than %d entries in the file", maxFileItems)
		}
		openers += bytes.Count(text, []byte("[")) + bytes.Count(text, []byte("{"))
		if openers > maxFileOpeners {
			return fail(line, "more than %d [ and { in the file: a chain file needs far fewer", maxFileOpeners)
		}
	}
	return longLines, nil
}
