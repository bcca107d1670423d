package chain

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// chParams builds a Params map from key, value pairs.
func chParams(kv ...string) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// challengeCases are what RFC 6750 and RFC 9110 say and what real servers
// send, with the exact challenges expected. FuzzParseChallenges seeds from
// them too.
var challengeCases = []struct {
	name   string
	values []string
	want   []Challenge
}{
	// RFC 6750 §3 and real servers.
	{"rfc6750 expired", []string{`Bearer realm="example", error="invalid_token", error_description="The access token expired"`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("realm", "example", "error", "invalid_token", "error_description", "The access token expired")}}},
	{"rfc6750 no token", []string{`Bearer realm="example"`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("realm", "example")}}},
	{"insufficient scope", []string{`Bearer error="insufficient_scope", scope="orders.read orders.write"`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("error", "insufficient_scope", "scope", "orders.read orders.write")}}},
	{"azure ad", []string{`Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="invalid_token", error_description="The token is expired", resource_id="00000003-0000-0000-c000-000000000000"`},
		[]Challenge{{Scheme: "Bearer", Params: chParams(
			"authorization_uri", "https://login.microsoftonline.com/common/oauth2/authorize",
			"error", "invalid_token",
			"error_description", "The token is expired",
			"resource_id", "00000003-0000-0000-c000-000000000000")}}},
	{"azure ad empty realm", []string{`Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`},
		[]Challenge{{Scheme: "Bearer", Params: chParams(
			"realm", "",
			"authorization_uri", "https://login.microsoftonline.com/common/oauth2/authorize",
			"client_id", "00000003-0000-0000-c000-000000000000")}}},
	{"google envoy", []string{`Bearer realm="https://api.example.com/v1/orders", error="invalid_token"`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("realm", "https://api.example.com/v1/orders", "error", "invalid_token")}}},

	// Several challenges, several values.
	{"basic then bearer", []string{`Basic realm="x", Bearer realm="y", error="invalid_token"`},
		[]Challenge{
			{Scheme: "Basic", Params: chParams("realm", "x")},
			{Scheme: "Bearer", Params: chParams("realm", "y", "error", "invalid_token")}}},
	{"rfc9110 newauth", []string{`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`},
		[]Challenge{
			{Scheme: "Newauth", Params: chParams("realm", "apps", "type", "1", "title", `Login to "apps"`)},
			{Scheme: "Basic", Params: chParams("realm", "simple")}}},
	{"several values", []string{`Basic realm="x"`, `Bearer realm="y", error="invalid_token"`, `DPoP algs="ES256"`},
		[]Challenge{
			{Scheme: "Basic", Params: chParams("realm", "x")},
			{Scheme: "Bearer", Params: chParams("realm", "y", "error", "invalid_token")},
			{Scheme: "DPoP", Params: chParams("algs", "ES256")}}},
	{"value starting with params continues the last challenge", []string{`Bearer realm="x"`, `error="invalid_token"`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("realm", "x", "error", "invalid_token")}}},
	{"quoted string stops at the end of its value", []string{`Bearer error_description="cut`, `Basic realm="y"`},
		[]Challenge{
			{Scheme: "Bearer", Params: chParams("error_description", "cut")},
			{Scheme: "Basic", Params: chParams("realm", "y")}}},
	{"bearer not first", []string{`Basic realm="x", Negotiate, Bearer error="invalid_token"`},
		[]Challenge{
			{Scheme: "Basic", Params: chParams("realm", "x")},
			{Scheme: "Negotiate"},
			{Scheme: "Bearer", Params: chParams("error", "invalid_token")}}},
	{"dpop beside bearer", []string{`DPoP algs="ES256 PS256", error="invalid_token", Bearer realm="api", error="invalid_token"`},
		[]Challenge{
			{Scheme: "DPoP", Params: chParams("algs", "ES256 PS256", "error", "invalid_token")},
			{Scheme: "Bearer", Params: chParams("realm", "api", "error", "invalid_token")}}},
	{"dpop alone", []string{`DPoP algs="ES256 PS256", error="invalid_token"`},
		[]Challenge{{Scheme: "DPoP", Params: chParams("algs", "ES256 PS256", "error", "invalid_token")}}},

	// Quoted strings.
	{"comma and escaped quotes in a value", []string{`Bearer error="invalid_token", error_description="bad \"aud\", expected api://x"`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("error", "invalid_token", "error_description", `bad "aud", expected api://x`)}}},
	{"quoted-pairs", []string{`Bearer error_description="C:\\tmp \x \"q\""`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("error_description", `C:\tmp x "q"`)}}},
	{"unterminated quoted string", []string{`Bearer realm="x", error_description="the token has exp`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("realm", "x", "error_description", "the token has exp")}}},
	{"unterminated after an escape", []string{`Bearer error_description="a \"b\" \`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("error_description", `a "b" \`)}}},

	// Commas.
	{"stray comma after the scheme", []string{`Bearer, error="invalid_token"`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("error", "invalid_token")}}},
	{"leading trailing doubled commas", []string{` , ,Bearer realm="x",, ,error="invalid_token" ,, `},
		[]Challenge{{Scheme: "Bearer", Params: chParams("realm", "x", "error", "invalid_token")}}},
	{"no space after commas", []string{`Bearer realm="x",error="invalid_token",Basic realm="y"`},
		[]Challenge{
			{Scheme: "Bearer", Params: chParams("realm", "x", "error", "invalid_token")},
			{Scheme: "Basic", Params: chParams("realm", "y")}}},
	{"missing commas between params", []string{`Bearer realm="x" error="invalid_token"`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("realm", "x", "error", "invalid_token")}}},
	{"missing commas between unquoted params", []string{`Bearer realm=x error=invalid_token`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("realm", "x", "error", "invalid_token")}}},
	{"missing space after a quoted value", []string{`Bearer realm="x"error="invalid_token"`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("realm", "x", "error", "invalid_token")}}},
	{"missing comma between challenges", []string{`Basic realm="x" Bearer realm="y"`},
		[]Challenge{
			{Scheme: "Basic", Params: chParams("realm", "x")},
			{Scheme: "Bearer", Params: chParams("realm", "y")}}},
	{"semicolons instead of commas", []string{`Bearer realm="x"; error="invalid_token";scope=read`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("realm", "x", "error", "invalid_token", "scope", "read")}}},

	// Tokens, case, whitespace.
	{"unquoted values", []string{`Bearer error=invalid_token, scope=read`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("error", "invalid_token", "scope", "read")}}},
	{"unquoted value keeps odd bytes", []string{`Bearer realm=a=b"c, scope=x`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("realm", `a=b"c`, "scope", "x")}}},
	{"bare scheme", []string{`Bearer`},
		[]Challenge{{Scheme: "Bearer"}}},
	{"bare schemes", []string{`Basic, Bearer`},
		[]Challenge{{Scheme: "Basic"}, {Scheme: "Bearer"}}},
	{"lower-case scheme kept as sent", []string{`bearer error="invalid_token"`},
		[]Challenge{{Scheme: "bearer", Params: chParams("error", "invalid_token")}}},
	{"param names lower-cased", []string{`Bearer Realm="x", ERROR="invalid_token", Error_Description="Y"`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("realm", "x", "error", "invalid_token", "error_description", "Y")}}},
	{"whitespace around =", []string{"Bearer error = \"x\", scope= read , realm =y,\tuser\t=\t\"u\""},
		[]Challenge{{Scheme: "Bearer", Params: chParams("error", "x", "scope", "read", "realm", "y", "user", "u")}}},
	{"tab after the scheme", []string{"Bearer\trealm=\"x\""},
		[]Challenge{{Scheme: "Bearer", Params: chParams("realm", "x")}}},
	{"empty values", []string{`Bearer realm="", error=, scope=`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("realm", "", "error", "", "scope", "")}}},

	// token68.
	{"negotiate token68", []string{`Negotiate YIIB+gYGKwYBBQUCoIIB/jCCAfqgMDAuBgkqhkiG9xIBAgI==`},
		[]Challenge{{Scheme: "Negotiate", Token68: "YIIB+gYGKwYBBQUCoIIB/jCCAfqgMDAuBgkqhkiG9xIBAgI=="}}},
	{"basic token68", []string{`Basic dXNlcjpwYXNzd29yZA`},
		[]Challenge{{Scheme: "Basic", Token68: "dXNlcjpwYXNzd29yZA"}}},
	{"token68 with one = is not a param", []string{`Basic dXNlcjpwYXM=`},
		[]Challenge{{Scheme: "Basic", Token68: "dXNlcjpwYXM="}}},
	{"token68 with every allowed byte", []string{`Basic a-b.c_d~e+f/g==  `},
		[]Challenge{{Scheme: "Basic", Token68: "a-b.c_d~e+f/g=="}}},
	{"any lone word after a scheme is a token68, as the grammar says", []string{`Bearer realm`},
		[]Challenge{{Scheme: "Bearer", Token68: "realm"}}},
	{"name=value after a scheme is a param", []string{`Basic realm=x`},
		[]Challenge{{Scheme: "Basic", Params: chParams("realm", "x")}}},
	{"token68 then another challenge", []string{`Negotiate abc==, Bearer realm="y"`},
		[]Challenge{
			{Scheme: "Negotiate", Token68: "abc=="},
			{Scheme: "Bearer", Params: chParams("realm", "y")}}},
	{"params after a token68 are kept", []string{`Negotiate abc==, realm="x"`},
		[]Challenge{{Scheme: "Negotiate", Token68: "abc==", Params: chParams("realm", "x")}}},
	{"token68 needs a space after the scheme", []string{`Negotiate,abc==`},
		[]Challenge{{Scheme: "Negotiate", Params: chParams("abc", "=")}}},
	{"two words are two challenges unless the second ends the list", []string{`Negotiate abc def`},
		[]Challenge{{Scheme: "Negotiate"}, {Scheme: "abc", Token68: "def"}}},

	// Degenerate input.
	{"no values", nil, nil},
	{"empty header", []string{""}, nil},
	{"only commas", []string{",", " , ,, "}, nil},
	{"only junk", []string{`;;; @ "quoted" ="x"`}, nil},
	{"params before any scheme are dropped", []string{`realm="x", Bearer error="invalid_token"`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("error", "invalid_token")}}},
	{"nameless param skipped", []string{`Bearer error="invalid_token", ="x", = y ,=`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("error", "invalid_token")}}},
	{"a token before = is a param name, even across spaces", []string{`Bearer ="x", Basic realm="y"`},
		[]Challenge{{Scheme: "Basic", Params: chParams("realm", "y")}}},
	{"junk bytes skipped", []string{"Bearer \x00realm=\"x\" @ ¿error=\"y\""},
		[]Challenge{{Scheme: "Bearer", Params: chParams("realm", "x", "error", "y")}}},
	{"non-ASCII and control bytes kept in values", []string{"Bearer error_description=\"caf\u00e9 \x01\x7f\r\n\", realm=r\xffx"},
		[]Challenge{{Scheme: "Bearer", Params: chParams("error_description", "caf\u00e9 \x01\x7f\r\n", "realm", "r\xffx")}}},
	{"duplicate params: first wins", []string{`Bearer error="invalid_token", error="insufficient_scope", ERROR=x, realm="a" realm="b"`},
		[]Challenge{{Scheme: "Bearer", Params: chParams("error", "invalid_token", "realm", "a")}}},
}

func TestParseChallenges(t *testing.T) {
	for _, tc := range challengeCases {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseChallenges(tc.values)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseChallenges(%q)\n got %#v\nwant %#v", tc.values, got, tc.want)
			}
			checkChallenges(t, tc.values, got)
		})
	}
}

// checkChallenges asserts what must hold of any result: bounded, made of
// well-formed parts, no larger than its input, and each challenge, as well
// as the whole list, parses back from its String().
func checkChallenges(t *testing.T, values []string, got []Challenge) {
	t.Helper()
	in := 0
	for _, v := range values {
		in += len(v) + 1
	}
	in = min(in, MaxChallengeBytes)
	if len(got) > MaxChallenges {
		t.Fatalf("%d challenges, more than %d", len(got), MaxChallenges)
	}
	out := 0
	rendered := make([]string, len(got))
	for i := range got {
		c := &got[i]
		if c.Scheme == "" || strings.IndexFunc(c.Scheme, func(r rune) bool { return r > 0x7f || !isTchar(byte(r)) }) >= 0 {
			t.Fatalf("scheme %q is not a token", c.Scheme)
		}
		if t68 := strings.TrimRight(c.Token68, "="); t68 == "" && c.Token68 != "" ||
			strings.IndexFunc(t68, func(r rune) bool { return r > 0x7f || !isToken68Char(byte(r)) }) >= 0 {
			t.Fatalf("token68 %q is not a token68", c.Token68)
		}
		if c.Params != nil && len(c.Params) == 0 || len(c.Params) > MaxChallengeParams {
			t.Fatalf("%d params (nil: %v)", len(c.Params), c.Params == nil)
		}
		out += len(c.Scheme) + len(c.Token68)
		for k, v := range c.Params {
			if k == "" || k != strings.ToLower(k) || strings.IndexFunc(k, func(r rune) bool { return r > 0x7f || !isTchar(byte(r)) }) >= 0 {
				t.Fatalf("param name %q is not a lower-case token", k)
			}
			out += len(k) + len(v)
		}
		s := c.String()
		rendered[i] = s
		if len(s) >= MaxChallengeBytes {
			continue
		}
		if back := ParseChallenges([]string{s}); len(back) != 1 || !reflect.DeepEqual(back[0], *c) {
			t.Fatalf("round trip of %#v\nthrough %q\n gave %#v", *c, s, back)
		}
	}
	if out > in {
		t.Fatalf("%d bytes of output from %d bytes of input", out, in)
	}
	if all := strings.Join(rendered, ", "); len(all) < MaxChallengeBytes {
		if back := ParseChallenges([]string{all}); !reflect.DeepEqual(back, got) {
			t.Fatalf("round trip of the list through %q\n gave %#v\nwant %#v", all, back, got)
		}
	}
}

func TestBearer(t *testing.T) {
	tests := []struct {
		header string
		want   int // index in the parsed challenges, -1 for nil
	}{
		{`Bearer realm="a"`, 0},
		{`Basic realm="x", Bearer realm="y", error="invalid_token"`, 1},
		{`DPoP algs="ES256 PS256", error="invalid_token", Bearer realm="api"`, 1},
		{`DPoP algs="ES256 PS256", error="invalid_token"`, 0},
		{`Basic realm="x", dpop algs="ES256", BEARER error="invalid_token", Bearer realm="second"`, 2},
		{`Basic realm="x", DPOP algs="ES256", dpop algs="PS256"`, 1},
		{`Basic realm="x", Negotiate abc==`, -1},
		{`Bearerx realm="x"`, -1},
		{``, -1},
	}
	for _, tc := range tests {
		chs := ParseChallenges([]string{tc.header})
		got := Bearer(chs)
		switch {
		case tc.want < 0 && got != nil:
			t.Errorf("Bearer(%q) = %q, want nil", tc.header, got.String())
		case tc.want >= 0 && got != &chs[tc.want]:
			t.Errorf("Bearer(%q) = %q, want %q", tc.header, got.String(), chs[tc.want].String())
		}
	}
	if Bearer(nil) != nil {
		t.Error("Bearer(nil) != nil")
	}
}

func TestChallengeAccessors(t *testing.T) {
	c := Bearer(ParseChallenges([]string{`Basic realm="b", Bearer realm="api", error="insufficient_scope", ` +
		`error_description="needs \"orders.write\"", scope="orders.read orders.write", ERROR_URI="https://e/x"`}))
	for _, tc := range []struct{ got, want string }{
		{c.Realm(), "api"},
		{c.ErrorCode(), "insufficient_scope"},
		{c.Description(), `needs "orders.write"`},
		{c.Scope(), "orders.read orders.write"},
		{c.ErrorURI(), "https://e/x"},
		{c.Param("Scope"), "orders.read orders.write"},
		{c.Param("missing"), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}

	var none *Challenge
	for _, s := range []string{none.Realm(), none.ErrorCode(), none.Description(), none.Scope(), none.ErrorURI(), none.Param("x"), none.String()} {
		if s != "" {
			t.Errorf("nil challenge gave %q", s)
		}
	}
	bare := &Challenge{Scheme: "Bearer"}
	if bare.ErrorCode() != "" || bare.Realm() != "" {
		t.Error("challenge without params gave a param")
	}
}

func TestChallengeString(t *testing.T) {
	tests := []struct {
		c    Challenge
		want string
	}{
		{Challenge{Scheme: "Bearer"}, `Bearer`},
		{Challenge{Scheme: "Negotiate", Token68: "abc=="}, `Negotiate abc==`},
		{Challenge{Scheme: "Negotiate", Token68: "abc==", Params: chParams("realm", "x")}, `Negotiate abc==, realm="x"`},
		{Challenge{Scheme: "bearer", Params: chParams(
			"zeta", "z", "resource_id", "r", "scope", "s t", "error_description", `say "hi" \o/`,
			"authorization_uri", "https://login/", "error", "invalid_token", "realm", "")},
			`bearer realm="", error="invalid_token", error_description="say \"hi\" \\o/", scope="s t", ` +
				`authorization_uri="https://login/", resource_id="r", zeta="z"`},
		{Challenge{Scheme: "Bearer", Params: chParams("b", "2", "a", "1", "error", "e")}, `Bearer error="e", a="1", b="2"`},
		{Challenge{Scheme: "Bearer", Params: chParams("error_description", "caf\u00e9\x01")}, "Bearer error_description=\"caf\u00e9\x01\""},
	}
	for _, tc := range tests {
		if got := tc.c.String(); got != tc.want {
			t.Errorf("String() = %s\n        want %s", got, tc.want)
		}
	}
}

// TestParseChallengesBounded feeds 1 MiB headers shaped to hit each bound:
// the output must stay within the bounds, equal what the first
// MaxChallengeBytes alone give, share no memory with the huge input, and come
// back quickly.
func TestParseChallengesBounded(t *testing.T) {
	const mib = 1 << 20
	fill := func(prefix string, unit func(i int) string) string {
		var b strings.Builder
		b.WriteString(prefix)
		for i := 0; b.Len() < mib; i++ {
			b.WriteString(unit(i))
		}
		return b.String()
	}
	repeat := func(s string) func(int) string { return func(int) string { return s } }
	tests := []struct {
		name   string
		header string
		check  func([]Challenge) bool
	}{
		{"challenges", fill("", repeat(`Bearer realm="x", `)),
			func(c []Challenge) bool { return len(c) == MaxChallenges }},
		{"params", fill("Bearer ", func(i int) string { return "p" + strconv.Itoa(i) + "=v, " }),
			func(c []Challenge) bool { return len(c) == 1 && len(c[0].Params) == MaxChallengeParams }},
		{"quoted string", fill(`Bearer error_description="`, repeat(`\"x`)),
			func(c []Challenge) bool {
				return len(c) == 1 && len(c[0].Description()) < MaxChallengeBytes
			}},
		{"token68", fill("Negotiate ", repeat("YIIB")),
			func(c []Challenge) bool { return len(c) == 1 && len(c[0].Token68) < MaxChallengeBytes }},
		{"junk", fill("", repeat(";@\x00")),
			func(c []Challenge) bool { return len(c) == 0 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			got := ParseChallenges([]string{tc.header})
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v", d)
			}
			if !tc.check(got) {
				t.Fatalf("unexpected result: %d challenges", len(got))
			}
			if prefix := ParseChallenges([]string{tc.header[:MaxChallengeBytes-1]}); !reflect.DeepEqual(got, prefix) {
				t.Error("result differs from the result for the first MaxChallengeBytes")
			}
			lo := uintptr(unsafe.Pointer(unsafe.StringData(tc.header)))
			hi := lo + uintptr(len(tc.header))
			inHeader := func(s string) bool {
				q := uintptr(unsafe.Pointer(unsafe.StringData(s)))
				return len(s) > 0 && lo <= q && q < hi
			}
			for _, c := range got {
				if inHeader(c.Scheme) || inHeader(c.Token68) {
					t.Fatal("result keeps the 1 MiB header alive")
				}
				for k, v := range c.Params {
					if inHeader(k) || inHeader(v) {
						t.Fatal("result keeps the 1 MiB header alive")
					}
				}
			}
			checkChallenges(t, []string{tc.header}, got)
		})
	}

	t.Run("many values", func(t *testing.T) {
		values := make([]string, mib)
		values[len(values)-1] = `Bearer realm="late"`
		start := time.Now()
		if got := ParseChallenges(values); got != nil {
			t.Errorf("got %#v from a value past the budget", got)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("took %v", d)
		}
	})
}

// BenchmarkParseChallenges parses a typical Azure AD header and picks the
// Bearer challenge's error, as jwtrace chain does for each hop.
//
//	go test ./chain -run '^$' -bench ParseChallenges -benchmem
func BenchmarkParseChallenges(b *testing.B) {
	header := []string{`Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", ` +
		`error="invalid_token", error_description="The token is expired", resource_id="00000003-0000-0000-c000-000000000000"`}
	b.SetBytes(int64(len(header[0])))
	b.ReportAllocs()
	for b.Loop() {
		if Bearer(ParseChallenges(header)).ErrorCode() != "invalid_token" {
			b.Fatal("wrong parse")
		}
	}
}
