package ui

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/decode"
)

func renderClaims(t *testing.T, claims string, v DecodeView, s *Streams) string {
	t.Helper()
	res, err := decode.Decode([]byte(encodeB64(`{"alg":"RS256","typ":"JWT"}`)+"."+encodeB64(claims)+"."+encodeB64(strings.Repeat("s", 256))), decode.Options{Now: evalAt})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.Printer(&buf).Tokens(res.Tokens, v); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// decode shows a nested act as the chain it is, in the order the parties
// acted (RFC 8693 §4.1: the outermost act is the current actor), with
// may_act and azp beside it.
func TestPrinterTokensShowsTheDelegationChain(t *testing.T) {
	out := renderClaims(t, `{"sub":"alice","aud":"billing","azp":"workout-log","exp":1795777331,"iat":1795773731,`+
		`"act":{"sub":"workout-log","act":{"sub":"workouts"}},"may_act":{"sub":"reports"}}`, DecodeView{Explain: true}, &Streams{})
	want := `  lifetime 1h (exp - iat)
  delegation alice via workouts via workout-log (workout-log acts for alice now; RFC 8693 section 4.1)
  may act    reports (may_act: reports may exchange this token to act for alice)
  issued to  workout-log (azp: the client that asked for this token)
`
	if !strings.Contains(out, want) {
		t.Errorf("want\n%s\nin\n%s", want, out)
	}
	if !strings.Contains(out, `"act": {"sub":"workout-log","act":{"sub":"workouts"}},  actor: who acts on the subject's behalf; a nested act is an earlier actor, the outermost act is the current actor (RFC 8693 section 4.1)`) {
		t.Errorf("act not explained:\n%s", out)
	}

	t.Run("without --explain the chain is shown all the same", func(t *testing.T) {
		out := renderClaims(t, `{"sub":"alice","act":{"sub":"jwtrace-service"}}`, DecodeView{}, &Streams{})
		if !strings.Contains(out, "  delegation alice via jwtrace-service (jwtrace-service acts for alice now; RFC 8693 section 4.1)\n") {
			t.Errorf("%s", out)
		}
		if strings.Contains(out, "issued to") || strings.Contains(out, "may act") {
			t.Errorf("lines for claims the token does not have:\n%s", out)
		}
	})
	t.Run("a token without act shows no delegation", func(t *testing.T) {
		out := renderClaims(t, `{"sub":"alice","azp":"spa"}`, DecodeView{}, &Streams{})
		if strings.Contains(out, "delegation") || strings.Contains(out, "issued to") {
			t.Errorf("%s", out)
		}
	})
	t.Run("what is wrong with act is said under it", func(t *testing.T) {
		out := renderClaims(t, `{"sub":"alice","act":"workouts"}`, DecodeView{}, &Streams{})
		if !strings.Contains(out, "  ! act is not a JSON object (RFC 8693 section 4.1: it holds the actor's claims, such as sub)\n") {
			t.Errorf("%s", out)
		}
	})
	t.Run("a chain deeper than 16 says what it left out", func(t *testing.T) {
		act := `{"sub":"a20"}`
		for i := 19; i >= 1; i-- {
			act = fmt.Sprintf(`{"sub":"a%d","act":%s}`, i, act)
		}
		out := renderClaims(t, `{"sub":"alice","act":`+act+`}`, DecodeView{}, &Streams{})
		if !strings.Contains(out, "  delegation alice via … via a16 via a15 via a14 via a13 via a12 via a11 via a10 via a9 via a8 via a7 via a6 via a5 via a4 via a3 via a2 via a1 (a1 acts for alice now; RFC 8693 section 4.1)\n") ||
			!strings.Contains(out, "  ! act is nested more than 16 levels deep; jwtrace read the 16 most recent actors\n") {
			t.Errorf("%s", out)
		}
	})
}

// The actors' names are the token's text: escaped like every other value.
func TestPrinterTokensEscapesTheDelegation(t *testing.T) {
	color := &Streams{Env: []string{"TERM=xterm", "CLICOLOR_FORCE=1"}}
	out := renderClaims(t, `{"sub":"alice\u001b[2J","azp":"x\u202ey","act":{"sub":"evil\u001b]0;pwned\u0007","act":{"sub":"a\nb"}},"may_act":{"sub":"m\u009b31m"}}`, DecodeView{Explain: true}, color)
	for _, bad := range []string{"\x1b[2J", "\x1b]0", "\x07", "\u202e", "\u009b", "a\nb"} {
		if strings.Contains(out, bad) {
			t.Errorf("%q from the token reached the output:\n%q", bad, out)
		}
	}
	if !strings.Contains(out, `alice\x1b[2J via a\x0ab via evil\x1b]0;pwned\x07`) {
		t.Errorf("the escaped chain is not shown:\n%s", out)
	}
}
