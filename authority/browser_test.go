package authority_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
)

// The sign-in and device pages in a real browser (headless chromium over
// the DevTools protocol): the forms work under the pages' CSP, and the
// redirect back to a loopback client is followed.
func TestThePagesInABrowser(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t) // stopped after the browser
	b := authoritytest.StartBrowser(t)
	client := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<!doctype html><title>client</title><p id=q>%s</p>", r.URL.RawQuery)
	}))
	t.Cleanup(client.Close)
	_, challenge := verifierPair(t)
	params := func() url.Values {
		q := codeParams(challenge)
		q.Set("redirect_uri", client.URL+"/cb")
		return q
	}

	for _, tc := range []struct{ button, want string }{{"approve", "code="}, {"deny", "error=access_denied"}} {
		t.Run("the sign-in page: "+tc.button, func(t *testing.T) {
			b.Navigate(srv.AuthorizeURL + "?" + params().Encode())
			_, text := b.WaitFor("document.getElementById('approve') !== null")
			if !strings.Contains(text, "Client jwtrace asks for scopes openid offline_access") {
				t.Errorf("the page reads %q", text)
			}
			b.Click(tc.button)
			at, _ := b.WaitFor("location.href.startsWith(" + jsString(client.URL) + ")")
			u, _ := url.Parse(at)
			if q := u.Query(); !strings.Contains(u.RawQuery, tc.want) || q.Get("state") != "st-1" || q.Get("iss") != srv.Issuer {
				t.Fatalf("the browser came back to %s", at)
			}
		})
	}
	t.Run("an unregistered redirect is refused on the page", func(t *testing.T) {
		q := params()
		q.Set("redirect_uri", "https://evil.example/cb")
		b.Navigate(srv.AuthorizeURL + "?" + q.Encode())
		at, text := b.WaitFor("document.getElementById('error') !== null")
		if !strings.HasPrefix(at, srv.AuthorizeURL) || !strings.Contains(text, "not registered") {
			t.Fatalf("%s: %q", at, text)
		}
	})
	t.Run("the device page approves a code", func(t *testing.T) {
		resp, err := http.PostForm(srv.DeviceAuthURL, url.Values{"client_id": {authority.DefaultPublicClient}})
		if err != nil {
			t.Fatal(err)
		}
		var d authority.DeviceAuthResponse
		jsonDecode(t, resp, &d)
		b.Navigate(d.VerificationURIComplete)
		b.WaitFor("document.querySelector('button[value=approve]') !== null")
		b.Eval("document.querySelector('button[value=approve]').click()")
		_, text := b.WaitFor("document.getElementById('result') !== null")
		if !strings.Contains(text, "Approved: signed in as alice") {
			t.Fatalf("%q", text)
		}
		st, m := postToken(t, srv, url.Values{"grant_type": {authority.GrantDeviceCode}, "client_id": {authority.DefaultPublicClient}, "device_code": {d.DeviceCode}})
		if st != 200 || m["access_token"] == nil {
			t.Fatalf("%d %v", st, m)
		}
	})
}

func jsString(s string) string { return fmt.Sprintf("%q", s) }

func jsonDecode(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
