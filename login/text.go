package login

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/jwtrace/jwtrace/internal/textsafe"
)

// A token is printed on stdout exactly as the server sent it (TOKEN=$(jwtrace
// login) must work), so only plain token strings are taken: printable
// ASCII without spaces. That is RFC 6749 §A.12 (access_token) and §A.17
// (refresh_token), 1*VSCHAR (%x20-7E), less the space no real token holds;
// an id_token is a JWT (OIDC Core §2), base64url and dots, well inside it.
// Escape sequences (ESC, CSI, OSC 52 clipboard writes), C1 controls, line
// breaks and bidi overrides are all outside.
func plainToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// whatIsWrong says, without showing the token, why s is not a plain token.
func whatIsWrong(s string) string {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
			return fmt.Sprintf("a space at byte %d", i+1)
		case c < 0x20 || c == 0x7f:
			return fmt.Sprintf("a control character (%s) at byte %d", strings.Trim(strconv.QuoteRuneToASCII(rune(c)), "'"), i+1)
		case c >= 0x80:
			return fmt.Sprintf("a non-ASCII byte at byte %d", i+1)
		}
	}
	return "nothing"
}

// badToken returns the name and problem of the first of tok's tokens that
// is not a plain token string, or "".
func badToken(tok *Token) (name, problem string) {
	for _, f := range []struct{ name, value string }{
		{"access_token", tok.AccessToken},
		{"id_token", tok.IDToken},
		{"refresh_token", tok.RefreshToken},
	} {
		if !plainToken(f.value) {
			return f.name, whatIsWrong(f.value)
		}
	}
	return "", ""
}

// maxServerText bounds what of a server's words goes into a message.
const maxServerText = 300

// oneLine makes a server's text (error, error_description, error_uri, a
// body) fit for an error message: on one line, so that a line break cannot
// add a line of the server's choosing ("Signed in as admin") to stderr,
// with control characters, bidi controls and invalid UTF-8 escaped
// (internal/textsafe, the definition ui.Safe and verify share), and at
// most about maxServerText bytes.
func oneLine(s string) string {
	return textsafe.Line(strings.TrimSpace(s), maxServerText)
}
