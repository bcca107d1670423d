package login

import (
	htmltemplate "html/template" // in a test only, to compare: the binary does not link it
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The page after the redirect escapes the server's words, as
// html/template did, byte for byte.
func TestResultPageSameAsHTMLTemplate(t *testing.T) {
	const evil = `</p><script>alert(1)</script> " class="x ' & &amp; ` + "\x00"
	for _, status := range []int{http.StatusOK, http.StatusBadRequest} {
		rec := httptest.NewRecorder()
		writeResult(rec, status, evil, "access_denied: "+evil)
		var want strings.Builder
		data := struct {
			Title, Message string
			Failed         bool
		}{evil, "access_denied: " + evil, status != http.StatusOK}
		if err := htmltemplate.Must(htmltemplate.New("result").Parse(resultText)).Execute(&want, data); err != nil {
			t.Fatal(err)
		}
		if got := rec.Body.String(); got != want.String() || strings.Contains(got, "<script") || strings.Contains(got, `" class="x`) {
			t.Errorf("status %d: htmlsafe writes\n%s\nhtml/template\n%s", status, got, want.String())
		}
	}
}
