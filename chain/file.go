package chain

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/jwtrace/jwtrace/internal/textsafe"
	"github.com/jwtrace/jwtrace/verify"
	"github.com/jwtrace/jwtrace/verify/explain"
)

// MaxFileBytes bounds a chain file, and MaxBodyBytes a request body read
// from a file.
const (
	MaxFileBytes = 1 << 20
	MaxBodyBytes = 1 << 20
)

// fileChain is the chain file's schema. Unknown keys are errors, with their
// line and column.
type fileChain struct {
	Defaults struct {
		Headers map[string]string `yaml:"headers"`
		Expect  intList           `yaml:"expect"`
		Rules   *verify.Policy    `yaml:"rules"`
	} `yaml:"defaults"`
	Hops []fileHop `yaml:"hops"`
}

type fileHop struct {
	Name     string            `yaml:"name"`
	URL      string            `yaml:"url"`
	Method   string            `yaml:"method"`
	Headers  map[string]string `yaml:"headers"`
	Body     *string           `yaml:"body"`
	BodyFile string            `yaml:"body_file"`
	Expect   intList           `yaml:"expect"`
	Rules    *verify.Policy    `yaml:"rules"`
	Exchange *fileExchange     `yaml:"exchange"`
}

// intList takes a status or a list of statuses.
type intList []int

func (l *intList) UnmarshalYAML(node ast.Node) error {
	var one int
	if err := yaml.NodeToValue(node, &one); err == nil && node.Type() != ast.SequenceType {
		*l = intList{one}
		return nil
	}
	var many []int
	if err := yaml.NodeToValue(node, &many); err != nil {
		return positioned(node, "want a status or a list of statuses, not "+textsafe.Cut(node.String(), 40))
	}
	*l = many
	return nil
}

// positioned is an error at node, in the parser's own [line:column] form.
func positioned(node ast.Node, msg string) error {
	if tk := node.GetToken(); tk != nil && tk.Position != nil {
		return fmt.Errorf("[%d:%d] %s", tk.Position.Line, tk.Position.Column, msg)
	}
	return errors.New(msg)
}

// FileError is a chain file that cannot be used: Msg carries the position
// and, when the parser has it, the lines around it.
type FileError struct {
	Path string
	Msg  string
}

func (e *FileError) Error() string { return e.Path + ": " + e.Msg }

// LoadFile reads a chain file. ${NAME} in URLs, header values and rules
// takes the value of the environment variable NAME (getenv; nil for
// none).
func LoadFile(path string, getenv func(string) (string, bool)) ([]Hop, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, &FileError{path, fmt.Sprintf("larger than %d bytes", MaxFileBytes)}
	}
	return ParseFile(path, data, getenv)
}

// ParseFile parses a chain file's contents; body_file paths are relative
// to path's directory.
func ParseFile(path string, data []byte, getenv func(string) (string, bool)) ([]Hop, error) {
	if len(data) > MaxFileBytes {
		return nil, &FileError{path, fmt.Sprintf("larger than %d bytes", MaxFileBytes)}
	}
	// The shape first: the parser's cost grows with the square of the
	// nesting depth (see prescan).
	longLines, err := prescan(data)
	if err != nil {
		return nil, &FileError{path, err.Error()}
	}
	// The parser's error printer quotes the lines around an error, and is
	// slow on long ones: then only the position is given.
	withSource := !longLines
	tree, err := noAliases(data, withSource)
	if err != nil {
		return nil, &FileError{path, err.Error()}
	}
	var fc fileChain
	if err := yaml.UnmarshalWithOptions(data, &fc, yaml.DisallowUnknownField()); err != nil {
		return nil, &FileError{path, yaml.FormatError(err, false, withSource)}
	}
	if len(fc.Hops) == 0 {
		return nil, &FileError{path, "no hops: the file needs a \"hops:\" list"}
	}
	if len(fc.Hops) > MaxHops {
		return nil, &FileError{path, fmt.Sprintf("%d hops; a chain may have at most %d", len(fc.Hops), MaxHops)}
	}
	dir := filepath.Dir(path)
	hops := make([]Hop, 0, len(fc.Hops))
	for i, fh := range fc.Hops {
		x := &expander{getenv: getenv}
		h, err := fh.hop(dir, &fc)
		if err == nil {
			h.Exchange, err = fh.Exchange.build(i, tree, x)
		}
		if err == nil {
			expandHop(&h, x)
			err = x.err()
		}
		if err == nil {
			h.Rules, err = fileHopRules(&fc, i, getenv, tree)
		}
		if err != nil {
			return nil, &FileError{path, (&HopError{Index: i + 1, Name: fh.Name, Err: err}).Error()}
		}
		hops = append(hops, h)
	}
	return hops, nil
}

func (fh *fileHop) hop(dir string, fc *fileChain) (Hop, error) {
	h := Hop{Name: fh.Name, URL: fh.URL, Method: fh.Method, Expect: fh.Expect}
	if len(h.Expect) == 0 {
		h.Expect = fc.Defaults.Expect
	}
	if len(fc.Defaults.Headers)+len(fh.Headers) > 0 {
		h.Header = http.Header{}
		for _, m := range []map[string]string{fc.Defaults.Headers, fh.Headers} {
			// Sorted, so that an error names the same header every time.
			names := make([]string, 0, len(m))
			for n := range m {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				if !validToken(n) {
					return h, fmt.Errorf("header name %q is not valid", n)
				}
				h.Header.Set(n, m[n])
			}
		}
	}
	switch {
	case fh.Body != nil && fh.BodyFile != "":
		return h, errors.New("give body or body_file, not both")
	case fh.Body != nil:
		h.Body = []byte(*fh.Body)
	case fh.BodyFile != "":
		p := fh.BodyFile
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		b, err := ReadBody(p)
		if err != nil {
			return h, fmt.Errorf("body_file: %w", err)
		}
		h.Body = b
	}
	return h, nil
}

// ReadBody reads a request body from a file, at most MaxBodyBytes.
func ReadBody(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxBodyBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxBodyBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, MaxBodyBytes)
	}
	return b, nil
}

// notInFile are the Policy keys a chain file does not take: a hop's keys
// come from its authority or jwks_url, and an issuer or audience it does
// not declare is not checked.
var notInFile = []string{"key_files", "skip_issuer", "skip_audience", "allow_weak_secret"}

// fileHopRules gives hop i the defaults' rules, each key overridden by the
// hop's own (Policy.Merge), expands ${NAME} in them (Policy.Expand) and
// validates them (Policy.Validate, as a hop's). Problems are reported at
// the position of the key at fault, in the file's words.
func fileHopRules(fc *fileChain, i int, getenv func(string) (string, bool), tree *ast.File) (*Rules, error) {
	def, own := fc.Defaults.Rules, fc.Hops[i].Rules
	if def == nil && own == nil {
		return nil, nil
	}
	var merged verify.Policy
	for _, p := range []*verify.Policy{def, own} {
		if p != nil {
			merged = merged.Merge(*p)
		}
	}
	// where is the position of a rule's key (its element elem, 1-based,
	// or 0 for the key's value) and the block it is in.
	where := func(key string, elem int) string {
		path, w := fmt.Sprintf("$.hops[%d].rules", i), "rules: "
		if own == nil || !declares(own, key) {
			path, w = "$.defaults.rules", "defaults: rules: "
		}
		path += "." + key
		if n := nodeAt(tree, path); n != nil {
			if _, seq := n.(*ast.SequenceNode); seq && elem > 0 {
				if e := nodeAt(tree, fmt.Sprintf("%s[%d]", path, elem-1)); e != nil {
					n = e
				}
			}
			if tk := n.GetToken(); tk != nil && tk.Position != nil {
				w = fmt.Sprintf("[%d:%d] %s", tk.Position.Line, tk.Position.Column, w)
			}
		}
		return w
	}
	for _, key := range notInFile {
		if declares(own, key) || declares(def, key) {
			return nil, errors.New(where(key, 0) + key + ": not a chain-file rule: a hop's keys come from authority: or jwks_url:, and an issuer or audience it does not declare is not checked")
		}
	}
	expanded, err := merged.Expand(getenv)
	if err == nil {
		err = validate(expanded)
	}
	var re *verify.RuleError
	if errors.As(err, &re) {
		lines := make([]string, len(re.Problems))
		for j, p := range re.Problems {
			w := "rules: "
			if key := verify.PolicyKey(p.Rule); key != "" {
				w = where(key, p.Elem)
			}
			lines[j] = w + explain.YAML.RuleProblem(p)
		}
		return nil, errors.New(strings.Join(lines, "\n"))
	}
	if err != nil {
		return nil, err
	}
	return NewRules(expanded), nil
}

// declares reports whether p declares the rule of the given YAML key.
func declares(p *verify.Policy, key string) bool { return p != nil && p.Declares(key) }

// nodeAt is the node at a YAML path such as $.hops[0].rules.algs, or nil.
func nodeAt(tree *ast.File, path string) ast.Node {
	if tree == nil {
		return nil
	}
	p, err := yaml.PathString(path)
	if err != nil {
		return nil
	}
	n, err := p.FilterFile(tree)
	if err != nil {
		return nil
	}
	return n
}

// expander replaces ${NAME} with the environment variable NAME
// (verify.ExpandVars); a variable that is not set is an error, not an
// empty string.
type expander struct {
	getenv  func(string) (string, bool)
	missing []string
}

func (x *expander) expand(s string) string {
	v, missing := verify.ExpandVars(s, x.getenv)
	x.missing = append(x.missing, missing...)
	return v
}

// err reports the first variable that was not set.
func (x *expander) err() error {
	if len(x.missing) > 0 {
		return fmt.Errorf("${%s} is not set in the environment", x.missing[0])
	}
	return nil
}

// expandHop expands ${NAME} in the hop's URL and header values.
func expandHop(h *Hop, x *expander) {
	h.URL = x.expand(h.URL)
	for _, values := range h.Header {
		for i := range values {
			values[i] = x.expand(values[i])
		}
	}
}

// noAliases refuses YAML anchors and aliases before decoding: the decoder
// expands them, and a few hundred bytes of nested aliases expand to
// gigabytes ("billion laughs"). defaults: covers what they are for.
func noAliases(data []byte, withSource bool) (*ast.File, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, errors.New(yaml.FormatError(err, false, withSource))
	}
	var found error
	for _, doc := range f.Docs {
		ast.Walk(visitFunc(func(n ast.Node) bool {
			if found != nil {
				return false
			}
			switch n.(type) {
			case *ast.AliasNode, *ast.AnchorNode:
				found = positioned(n, "anchors and aliases (&name, *name) are not allowed in a chain file: put what hops share under defaults:")
				return false
			}
			return true
		}), doc)
	}
	return f, found
}

type visitFunc func(ast.Node) bool

func (f visitFunc) Visit(n ast.Node) ast.Visitor {
	if f(n) {
		return f
	}
	return nil
}
