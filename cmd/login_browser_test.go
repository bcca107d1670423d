package cmd

import (
	"context"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
)

// One full jwtrace login --grant auth-code with the browser opener
// pointed at headless chromium: the person approves on the authority's
// page, chromium follows the redirect to jwtrace's loopback listener, and
// shows jwtrace's "signed in" page.
func TestLoginAuthCodeInARealBrowser(t *testing.T) {
	t.Parallel()
	// The browser first stops (cleanups run last first), so that the
	// authority's shutdown does not wait on its connections.
	srv := authoritytest.Start(t, authoritytest.WithClock(authoritytest.NewClock(fixedNow())))
	b := authoritytest.StartBrowser(t)
	shown := make(chan string, 1)
	withBrowser(t, func(u string) error {
		go func() {
			b.Navigate(u)
			b.WaitFor("document.getElementById('approve') !== null")
			b.Click("approve")
			at, text := b.WaitFor("document.getElementById('title') !== null")
			shown <- at + "\n" + text
		}()
		return nil
	})
	r := jwtrace(t, context.Background(), loginEnv(t), "login", "--grant", "auth-code", "--authority", srv.Issuer, "--client-id", authority.DefaultPublicClient, "--scope", "openid", "--timeout", "30s")
	if r.code != ExitOK || !strings.HasPrefix(r.out, "eyJ") || !strings.Contains(r.errOut, "Signed in as alice@example.com") {
		t.Fatalf("exit %d\n%s", r.code, r.errOut)
	}
	page := <-shown
	if !strings.HasPrefix(page, "http://127.0.0.1:") || !strings.Contains(page, "/callback?") || !strings.Contains(page, "jwtrace is signed in. You can close this tab and return to the terminal.") {
		t.Fatalf("the browser shows %q", page)
	}
}
