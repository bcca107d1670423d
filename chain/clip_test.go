package chain

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// A chain file's value quoted in an error is cut at a rune boundary: a
// value of CJK text must not come out as broken UTF-8.
func TestFileErrorQuotesAValueWhole(t *testing.T) {
	file := "hops:\n  - url: http://127.0.0.1:1/\n    expect: {a" + strings.Repeat("日本語", 10) + ": 1}\n"
	_, err := ParseFile("chain.yaml", []byte(file), nil)
	if err == nil || !strings.Contains(err.Error(), "want a status") {
		t.Fatalf("err = %v", err)
	}
	if !utf8.ValidString(err.Error()) {
		t.Errorf("the error is not valid UTF-8: %q", err.Error())
	}
}

// A long WWW-Authenticate value is cut at a rune boundary.
func TestLongChallengeIsCutWhole(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer error_description="a`+strings.Repeat("日", 600)+`"`)
		w.WriteHeader(401)
	}))
	t.Cleanup(srv.Close)
	res := newRunner("t0123456789abcdef").Hop(context.Background(), 1, &Hop{URL: srv.URL, Method: "GET"})
	if len(res.WWWAuthenticate) != 1 || !strings.HasSuffix(res.WWWAuthenticate[0], "…") || len(res.WWWAuthenticate[0]) > maxChallengeShown+len("…") {
		t.Fatalf("challenge %q", res.WWWAuthenticate)
	}
	if !utf8.ValidString(res.WWWAuthenticate[0]) {
		t.Errorf("the challenge is not valid UTF-8: %q", res.WWWAuthenticate[0][1000:])
	}
}
