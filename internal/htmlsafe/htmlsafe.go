// Package htmlsafe is a small, strict, auto-escaping HTML template: a
// text/template whose every output action is escaped for where it lands.
//
// It exists for start-up time (issue 18): every package linked into
// jwtrace runs its init whatever the command, and html/template's init
// (regexps, maps) is about 5% of `jwtrace decode`'s start. text/template
// is linked anyway (cobra uses it), so this package costs nothing at init.
//
// Parse walks the parse tree (text/template/parse) through the template's
// literal text, tracking a minimal HTML context, and appends an escaper to
// each output action's pipeline, as html/template does (escape.go,
// ensurePipelineContains). What it allows:
//   - element text, and the text of <title> and <textarea>: the value
//     (fmt.Sprint; nil prints nothing) is HTML-escaped: & < > " ' as
//     entities, NUL as U+FFFD (html/template's htmlReplacementTable, html.go,
//     less its "+" → "&#43;");
//   - a double-quoted attribute value: escaped the same way;
//   - a double-quoted URL attribute (href, src, action, formaction,
//     xlink:href, ... as html/template's attrType, attr.go): the action must
//     be the whole value, and a value with a scheme other than http or https
//     becomes "#ZgotmplZ" (html/template's urlFilter and isSafeURL, url.go;
//     stricter: no mailto, and no percent-normalizing), then it is escaped;
//   - inside <style>: an integer or a finite float, else Execute fails.
//
// Everything else is refused at Parse, naming the template, line and
// context: an action in <script> (and the other raw-text elements), in an
// on* or style attribute (or srcset, srcdoc, content, http-equiv), in an
// unquoted or single-quoted value, in a tag or attribute name, between
// attributes, in a comment; a tag or name split by an action; a '<' in
// raw text other than its end tag; an {{if}}, {{with}} or {{range}}
// branch that does not end in the context it started in (html/template's
// rule, escape.go escapeBranch and join, made stricter: no nudging);
// {{define}}, {{block}}, {{template}}, {{break}} and {{continue}}; a
// template that does not end in element text. There are no trusted-content
// types: every value is escaped.
package htmlsafe

import (
	"fmt"
	"html"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
)

// Template is a parsed, checked template. It is safe for concurrent
// Execute.
type Template struct{ t *template.Template }

// The escapers appended to output actions.
const (
	escHTML   = "_htmlsafe_html"
	escURL    = "_htmlsafe_url"
	escNumber = "_htmlsafe_number"
)

// escapers are the escapers by name: a function, as a package-level map
// would be built at every jwtrace start-up.
func escapers() template.FuncMap {
	return template.FuncMap{escHTML: escapeHTML, escURL: escapeURL, escNumber: escapeNumber}
}

// Must is Parse that panics on an error: for templates that are constants
// of the program.
func Must(name, src string) *Template {
	t, err := Parse(name, src)
	if err != nil {
		panic(err)
	}
	return t
}

// Parse parses src and checks it as the package comment says.
func Parse(name, src string) (*Template, error) {
	t, err := template.New(name).Funcs(escapers()).Parse(src)
	if err != nil {
		return nil, fmt.Errorf("htmlsafe: %w", err)
	}
	if len(t.Templates()) > 1 {
		return nil, fmt.Errorf("htmlsafe: template %s: {{define}} and {{block}} are not supported", name)
	}
	if t.Tree == nil {
		return &Template{t}, nil
	}
	w := &walker{tree: t.Tree}
	c, err := w.list(context{}, t.Tree.Root)
	if err == nil && c.state != stText {
		err = fmt.Errorf("htmlsafe: template %s ends %s, not in element text", name, c)
	}
	if err != nil {
		return nil, err
	}
	return &Template{t}, nil
}

// Execute writes the template applied to data to w. As with
// html/template, a failure may leave part of the output written.
func (t *Template) Execute(w io.Writer, data any) error {
	return t.t.Execute(w, data)
}

type state uint8

const (
	stText        state = iota // element content
	stTag                      // in a tag, between attributes
	stAfterName                // after an attribute's name: = or another
	stBeforeValue              // after =
	stValue                    // in a double-quoted value
	stSQValue                  // in a single-quoted value
	stUnquoted                 // in an unquoted value
	stRaw                      // in a raw-text or RCDATA element
	stComment                  // in <!-- -->
	stBogus                    // in <!...>, <?...> or </ ...> (up to >)
)

// context is where in the HTML the text so far ends. Fields that do not
// apply to the state are zero, so contexts compare with ==.
type context struct {
	state state
	elem  string // the tag's element (start tags only), or the raw element
	attr  string // the attribute, lower case
	url   uint8  // in a URL value: 0 empty so far, 1 an action, 2 text
	// glued: a tag or attribute name ran to the end of a text; the next
	// text must not continue it.
	glued bool
}

// rawText says whether an element's content is not markup (the WHATWG
// HTML tokenizer's RAWTEXT, RCDATA, script data and PLAINTEXT states), and
// what an action in it is escaped with ("" refuses it). A switch: a
// package-level map would be built at every jwtrace start-up.
func rawText(elem string) (esc string, raw bool) {
	switch elem {
	case "style":
		return escNumber, true
	case "title", "textarea":
		return escHTML, true
	case "script", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext":
		return "", true
	}
	return "", false
}

func (c context) String() string {
	switch c.state {
	case stText:
		return "in element text"
	case stTag, stAfterName:
		return "inside a tag (outside an attribute value)"
	case stBeforeValue, stUnquoted:
		return fmt.Sprintf("in the unquoted value of attribute %q", c.attr)
	case stSQValue:
		return fmt.Sprintf("in the single-quoted value of attribute %q", c.attr)
	case stValue:
		return fmt.Sprintf("in the value of attribute %q", c.attr)
	case stRaw:
		return fmt.Sprintf("inside <%s>", c.elem)
	}
	return "inside an HTML comment"
}

type attrKind uint8

const (
	attrPlain attrKind = iota
	attrURL
	attrRefused
)

// kindOf follows html/template's attrType (attr.go, Go 1.26): the URL
// attributes and its heuristics, "data-" and namespace prefixes stripped;
// script (on*), style and the attributes whose content is code, markup
// or a URL list are refused.
func kindOf(name string) attrKind {
	if n, ok := strings.CutPrefix(name, "data-"); ok {
		name = n
	} else if prefix, short, ok := strings.Cut(name, ":"); ok {
		if prefix == "xmlns" {
			return attrURL
		}
		name = short
	}
	switch name {
	case "action", "archive", "background", "cite", "classid", "codebase", "data", "formaction",
		"href", "icon", "longdesc", "manifest", "poster", "profile", "src", "usemap", "xmlns":
		return attrURL
	case "style", "srcset", "srcdoc", "content", "http-equiv":
		return attrRefused
	}
	switch {
	case strings.HasPrefix(name, "on"):
		return attrRefused
	case strings.Contains(name, "src"), strings.Contains(name, "uri"), strings.Contains(name, "url"):
		return attrURL
	}
	return attrPlain
}

type walker struct{ tree *parse.Tree }

func (w *walker) errorf(n parse.Node, format string, args ...any) error {
	loc, _ := w.tree.ErrorContext(n)
	return fmt.Errorf("htmlsafe: %s: %s", loc, fmt.Sprintf(format, args...))
}

func (w *walker) list(c context, l *parse.ListNode) (context, error) {
	if l == nil {
		return c, nil
	}
	var err error
	for i := 0; i < len(l.Nodes) && err == nil; i++ {
		n := l.Nodes[i]
		if _, ok := n.(*parse.TextNode); ok {
			// Adjacent texts (around a {{/* comment */}}) are one text.
			var texts []*parse.TextNode
			for ; i < len(l.Nodes); i++ {
				tn, ok := l.Nodes[i].(*parse.TextNode)
				if !ok {
					break
				}
				texts = append(texts, tn)
			}
			i--
			c, err = w.text(c, texts)
			continue
		}
		if c.state == stComment || c.state == stBogus {
			return c, w.errorf(n, "%s is inside an HTML comment: htmlsafe refuses actions there", w.desc(n))
		}
		switch n := n.(type) {
		case *parse.ActionNode:
			c, err = w.action(c, n)
		case *parse.IfNode:
			c, err = w.branch(c, &n.BranchNode, false)
		case *parse.WithNode:
			c, err = w.branch(c, &n.BranchNode, false)
		case *parse.RangeNode:
			c, err = w.branch(c, &n.BranchNode, true)
		default:
			err = w.errorf(n, "%s is not supported by htmlsafe", w.desc(n))
		}
	}
	return c, err
}

// desc is a node for an error: an action, or a branch's opening.
func (w *walker) desc(n parse.Node) string {
	s := n.String()
	if k := strings.Index(s, "}}"); k >= 0 {
		s = s[:k+2]
	}
	return s
}

// branch checks that each branch of an {{if}}, {{with}} or {{range}} ends
// in the context it starts in; a loop's body runs again from its end. A
// branch may end in a name (<input{{if .X}} disabled{{end}}>): what
// follows must not continue it, whichever branch ran.
func (w *walker) branch(c context, b *parse.BranchNode, loop bool) (context, error) {
	out := c
	for _, l := range []*parse.ListNode{b.List, b.ElseList} {
		end, err := w.list(c, l)
		if err == nil && loop && l == b.List && end.glued && !c.glued {
			end, err = w.list(end, l)
		}
		if err != nil {
			return c, err
		}
		if loose := end; loose.glued != c.glued {
			if loose.glued = c.glued; loose == c {
				out.glued = true
				continue
			}
		}
		if end != c {
			return c, w.errorf(l, "a branch of %s starts %s but ends %s: each branch must end where it starts", w.desc(b), c, end)
		}
	}
	return out, nil
}

// action appends the escaper for c to an output action, or refuses it.
func (w *walker) action(c context, n *parse.ActionNode) (context, error) {
	if len(n.Pipe.Decl) > 0 {
		return c, nil // {{$x := ...}} prints nothing
	}
	esc := ""
	switch c.state {
	case stText:
		esc = escHTML
	case stValue:
		switch kindOf(c.attr) {
		case attrPlain:
			esc = escHTML
		case attrURL:
			if c.url != 0 {
				return c, w.errorf(n, "%s is %s after other text or an action: in a URL attribute an action must be the whole value", w.desc(n), c)
			}
			esc, c.url = escURL, 1
		}
	case stRaw:
		esc, _ = rawText(c.elem)
	}
	if esc == "" {
		return c, w.errorf(n, "%s is %s: htmlsafe refuses actions there (only element text, double-quoted attribute values and numbers in <style>)", w.desc(n), c)
	}
	cmds := n.Pipe.Cmds
	if id, ok := cmds[len(cmds)-1].Args[0].(*parse.IdentifierNode); ok && (id.Ident == esc || esc == escHTML && id.Ident == "html") {
		// Escaped already: text/template's html builtin escapes what
		// escapeHTML does (html/template's equivEscapers, escape.go).
		return c, nil
	}
	n.Pipe.Cmds = append(cmds, &parse.CommandNode{NodeType: parse.NodeCommand, Pos: n.Pos,
		Args: []parse.Node{parse.NewIdentifier(esc).SetTree(w.tree).SetPos(n.Pos)}})
	return c, nil
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\f' || b == '\r' }

func isAlpha(b byte) bool { return 'a' <= b|0x20 && b|0x20 <= 'z' }

// text moves c through literal text, following the WHATWG HTML
// tokenizer's states (https://html.spec.whatwg.org/#tokenization) as far
// as they matter here.
func (w *walker) text(c context, texts []*parse.TextNode) (context, error) {
	var s string
	for _, t := range texts {
		s += string(t.Text)
	}
	fail := func(i int, format string, args ...any) (context, error) {
		n := texts[0]
		for _, t := range texts {
			if i < len(t.Text) {
				n = t
				break
			}
			i -= len(t.Text)
		}
		return c, w.errorf(&parse.TextNode{NodeType: parse.NodeText, Pos: n.Pos + parse.Pos(i)}, format, args...)
	}
	for i := 0; i < len(s); {
		if c.glued {
			if b := s[i]; !isSpace(b) && b != '/' && b != '>' {
				return fail(i, "a tag or attribute name is split by an action")
			}
			c.glued = false
		}
		switch c.state {
		case stText:
			j := strings.IndexByte(s[i:], '<')
			if j < 0 {
				return c, nil
			}
			i += j
			rest := s[i+1:]
			switch {
			case rest == "" || rest == "/" || rest == "!" || rest == "!-":
				return fail(i, "a text ends in %q, before an action or the end (a tag split by an action?); write a '<' that is text as &lt;", "<"+rest)
			case isAlpha(rest[0]) || rest[0] == '/' && isAlpha(rest[1]):
				endTag := rest[0] == '/'
				if endTag {
					rest, i = rest[1:], i+1
				}
				k := strings.IndexFunc(rest, func(r rune) bool { return r < 0x80 && (isSpace(byte(r)) || r == '/' || r == '>') })
				if k < 0 {
					k = len(rest)
				}
				c = context{state: stTag}
				if !endTag {
					c.elem = strings.ToLower(rest[:k])
				}
				i += 1 + k
				c.glued = i == len(s)
			case strings.HasPrefix(rest, "!--"):
				switch rest = rest[3:]; {
				case rest == "" || rest == "-":
					return fail(i, "a text ends in %q, before an action or the end; write a '<' that is text as &lt;", "<!--"+rest)
				case rest[0] == '>':
					i += 5 // <!--> closes at once
				case strings.HasPrefix(rest, "->"):
					i += 6 // and <!--->
				default:
					c = context{state: stComment}
					i += 4
				}
			case strings.HasPrefix(rest, "!["):
				return fail(i, "CDATA sections are not supported by htmlsafe")
			case strings.HasPrefix(rest, "/>"):
				i += 3 // </> is dropped
			case rest[0] == '!' || rest[0] == '?' || rest[0] == '/':
				c = context{state: stBogus}
				i += 2
			default:
				i++ // a '<' that is text
			}
		case stComment, stBogus:
			// A comment ends at --> or --!>, a bogus one at >.
			closers, end := []string{">"}, -1
			if c.state == stComment {
				closers = []string{"-->", "--!>"}
			}
			for _, close := range closers {
				if k := strings.Index(s[i:], close); k >= 0 && (end < 0 || i+k+len(close) < end) {
					end = i + k + len(close)
				}
			}
			if end < 0 {
				return c, nil
			}
			c, i = context{}, end
		case stTag, stAfterName:
			b := s[i]
			switch {
			case isSpace(b):
				i++
			case b == '/':
				// A '/' ends an attribute without a value (<a href/="x">
				// is attributes "href" and `="x"`).
				c, i = context{state: stTag, elem: c.elem}, i+1
			case b == '>':
				elem := c.elem
				c, i = context{}, i+1
				if _, ok := rawText(elem); ok {
					c = context{state: stRaw, elem: elem}
				}
			case b == '=' && c.state == stAfterName:
				c.state, i = stBeforeValue, i+1
			case b == '=':
				return fail(i, "an '=' without an attribute name")
			default:
				j := i
				for j < len(s) && !isSpace(s[j]) && s[j] != '/' && s[j] != '>' && s[j] != '=' {
					j++
				}
				if j == len(s) {
					return context{state: stTag, elem: c.elem, glued: true}, nil
				}
				c.state, c.attr, i = stAfterName, strings.ToLower(s[i:j]), j
			}
		case stBeforeValue:
			switch b := s[i]; {
			case isSpace(b):
				i++
			case b == '"':
				c.state, i = stValue, i+1
			case b == '\'':
				c.state, i = stSQValue, i+1
			case b == '>':
				c = context{state: stTag, elem: c.elem} // no value
			default:
				c.state = stUnquoted
			}
		case stValue, stSQValue, stUnquoted:
			quote := " \t\n\f\r>"
			if c.state == stValue {
				quote = `"`
			} else if c.state == stSQValue {
				quote = "'"
			}
			end := strings.IndexAny(s[i:], quote)
			if end < 0 {
				end = len(s) - i
			}
			if c.state == stValue && kindOf(c.attr) == attrURL && end > 0 {
				if c.url == 1 {
					return fail(i, "text after an action in the value of attribute %q: in a URL attribute an action must be the whole value", c.attr)
				}
				c.url = 2
			}
			if i += end; i == len(s) {
				return c, nil
			}
			if c.state != stUnquoted || s[i] != '>' {
				i++
			}
			c = context{state: stTag, elem: c.elem}
		case stRaw:
			// Only the end tag may start with '<' (also keeps <script>'s
			// escaped states and foreign content out of the question).
			j := strings.IndexByte(s[i:], '<')
			if j < 0 {
				return c, nil
			}
			i += j
			end := "</" + c.elem
			if len(s) < i+len(end)+1 || !strings.EqualFold(s[i:i+len(end)], end) ||
				!isSpace(s[i+len(end)]) && s[i+len(end)] != '/' && s[i+len(end)] != '>' {
				return fail(i, "a '<' inside <%s> that does not start its end tag </%s>", c.elem, c.elem)
			}
			c, i = context{state: stTag}, i+len(end)
		}
	}
	return c, nil
}

// stringify is the value as html/template prints it (content.go,
// stringify and indirectToStringerOrError): nil prints nothing, and a
// pointer prints what it points at unless it is a fmt.Stringer or error.
func stringify(v any) string {
	if v == nil {
		return ""
	}
	r := reflect.ValueOf(v)
	for r.Kind() == reflect.Pointer && !r.IsNil() {
		if _, ok := r.Interface().(fmt.Stringer); ok {
			break
		}
		if _, ok := r.Interface().(error); ok {
			break
		}
		r = r.Elem()
	}
	return fmt.Sprint(r.Interface())
}

func escapeHTML(v any) string {
	return strings.ReplaceAll(html.EscapeString(stringify(v)), "\x00", "\uFFFD")
}

// escapeURL is html/template's urlFilter (url.go, Go 1.26) with http and
// https only, then escapeHTML.
func escapeURL(v any) string {
	s := stringify(v)
	if scheme, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(scheme, "/") &&
		!strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") {
		s = "#ZgotmplZ"
	}
	return escapeHTML(s)
}

// escapeNumber prints an integer or finite float; anything else, even a
// named number type's String method, is an error.
func escapeNumber(v any) (string, error) {
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(r.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(r.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		if f := r.Float(); !math.IsNaN(f) && !math.IsInf(f, 0) {
			return strconv.FormatFloat(f, 'g', -1, r.Type().Bits()), nil
		}
	}
	return "", fmt.Errorf("htmlsafe: only a number may be written inside <style>, not %T %q", v, fmt.Sprint(v))
}
