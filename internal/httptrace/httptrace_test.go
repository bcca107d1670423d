package httptrace

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/internal/syncbuf"
)

const (
	secret  = "s3cr3t-client-secret"
	refresh = "refresh-token-value-1234"
	jwt     = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"
)

func TestTraceMasksSecretsAndShowsTheExchange(t *testing.T) {
	var gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "cookie-value-xyz"})
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", echo="`+jwt+`"`)
		w.Header().Set("X-Evil", "a\u202egnp.exe")
		w.WriteHeader(401)
	}))
	defer srv.Close()
	out := &syncbuf.Buffer{}
	c := &http.Client{Transport: New(nil, out)}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {"jwtrace"}, "client_secret": {secret}}
	req, _ := http.NewRequest("POST", srv.URL+"/token?code=one-time-code&x=1", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+jwt)
	req.Header.Set("Cookie", "session=cookie-value-xyz")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	trace := out.String()
	if gotBody != form.Encode() {
		t.Errorf("the server got %q, want the body unchanged %q", gotBody, form.Encode())
	}
	for _, want := range []string{
		"> #1 POST " + srv.URL + "/token?code=***(13 chars)&x=1 HTTP/1.1",
		"> Authorization: Bearer ***(",
		"> Cookie: ***(",
		"client_id=jwtrace",
		"grant_type=refresh_token",
		"client_secret=***(20 chars)",
		"< #1 HTTP/1.1 401 Unauthorized (",
		"< Set-Cookie: ***(",
		`< Www-Authenticate: Bearer error="invalid_token", echo="***(`,
		`< X-Evil: a\u202egnp.exe`,
	} {
		if !strings.Contains(trace, want) {
			t.Errorf("trace lacks %q:\n%s", want, trace)
		}
	}
	for _, leak := range []string{secret, refresh, jwt, "cookie-value-xyz", "one-time-code", "\u202e"} {
		if strings.Contains(trace, leak) {
			t.Errorf("trace shows %q:\n%s", leak, trace)
		}
	}
}

func TestTraceSaysWhenARequestFails(t *testing.T) {
	u := "http://127.0.0.1:1" // nothing listens on port 1
	out := &syncbuf.Buffer{}
	_, err := (&http.Client{Transport: New(nil, out)}).Get(u + "/x")
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	if !strings.Contains(out.String(), "< #1 error after ") {
		t.Errorf("trace:\n%s", out.String())
	}
}
