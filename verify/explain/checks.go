package explain

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/internal/lazy"
	"github.com/jwtrace/jwtrace/verify"
)

// words picks a surface's words: cli, yaml, plain.
func (s Surface) words(cli, yaml, plain string) string {
	switch s {
	case CLI:
		return cli
	case YAML:
		return yaml
	}
	return plain
}

func fixed(text string) func(Surface, *verify.Check) string {
	return func(Surface, *verify.Check) string { return text }
}

// passed is a passed check's text, or "" when verify left out its params
// (--batch reports only failures).
func passed(f func(p verify.Params) string) func(Surface, *verify.Check) string {
	return func(_ Surface, c *verify.Check) string {
		if c.Params == nil {
			return ""
		}
		return f(c.Params)
	}
}

// checkText renders each code. A code without an entry renders as itself,
// which TestEveryCodeRendered refuses.
var checkTextOnce lazy.Value[map[verify.Code]func(Surface, *verify.Check) string]

func checkText() map[verify.Code]func(Surface, *verify.Check) string {
	return checkTextOnce.Get(buildCheckText)
}

func buildCheckText() map[verify.Code]func(Surface, *verify.Check) string {
	return map[verify.Code]func(Surface, *verify.Check) string{
		verify.CodeFormatOK: passed(func(p verify.Params) string {
			d := "compact JWS, " + p.Get("alg")
			if p.Get("kid") != "" {
				d += ", kid " + strconv.Quote(p.Get("kid"))
			}
			return d
		}),
		verify.CodeFormatTooLarge: func(_ Surface, c *verify.Check) string {
			return "the token is " + c.Param("bytes") + " bytes; jwtrace reads at most " + c.Param("max")
		},
		verify.CodeFormatLineTooLong: func(_ Surface, c *verify.Check) string {
			return "the line is longer than " + c.Param("max") + " bytes, more than any token"
		},
		verify.CodeFormatJWE:      fixed("a JWE (encrypted token, 5 parts) where a signed JWT (JWS) was expected"),
		verify.CodeFormatTwoParts: fixed("2 parts instead of 3: the signature part is missing"),
		verify.CodeFormatParts: func(_ Surface, c *verify.Check) string {
			if n := c.Param("parts"); n != "1" {
				return n + " parts instead of 3: not a compact JWS"
			}
			return "1 part instead of 3: not a compact JWS"
		},
		verify.CodeFormatBase64: func(_ Surface, c *verify.Check) string {
			return "the " + c.Param("part") + " is not base64url (RFC 7515: no padding, - and _ instead of + and /)"
		},
		verify.CodeFormatHeaderJSON: func(_ Surface, c *verify.Check) string {
			return "the header is not a JSON object: " + c.Param("error")
		},
		verify.CodeFormatClaimsJSON: func(_ Surface, c *verify.Check) string {
			return "the claims are not a JSON object: " + c.Param("error")
		},
		verify.CodeFormatDuplicate: func(_ Surface, c *verify.Check) string {
			what := "the header repeats "
			if c.Param("part") == "claims" {
				what = "the claims repeat "
			}
			return what + c.Param("names") + "; parsers disagree on which value counts, so jwtrace refuses it"
		},
		verify.CodeAlgMissing:   fixed("the header has no alg"),
		verify.CodeAlgNotString: fixed("the header's alg is not a string"),
		verify.CodeAlgNone: func(_ Surface, c *verify.Check) string {
			return fmt.Sprintf("alg %q: the token is unsigned, and unsigned tokens are never accepted", c.Param("alg"))
		},
		verify.CodeFormatCrit: func(_ Surface, c *verify.Check) string {
			return "the header lists critical extensions " + c.Param("crit") + " that jwtrace does not implement (RFC 7515 §4.1.11)"
		},
		verify.CodeFormatUnencoded:   fixed(`the header has "b64" (RFC 7797 unencoded payload), which a JWT never uses`),
		verify.CodeFormatKidType:     fixed("the header's kid is not a string"),
		verify.CodeFormatNoSignature: fixed("the signature part is empty: the token's signature was stripped"),

		verify.CodeUnreadable:  fixed("not checked: the token could not be read"),
		verify.CodeNotClaims:   fixed("not checked: the payload is not a JWT claims set"),
		verify.CodeNoKey:       fixed("not checked: no usable key"),
		verify.CodeNotDeclared: notDeclared,

		verify.CodeKeyOK: passed(func(p verify.Params) string { return p.Get("key") }),
		verify.CodeKeyCandidates: passed(func(p verify.Params) string {
			return p.Get("count") + " candidate keys for " + p.Get("alg") + " (the token has no kid they share)"
		}),
		verify.CodeAlgNotAllowed: func(_ Surface, c *verify.Check) string { return "alg " + c.Param("alg") + " is not allowed" },
		verify.CodeAlgUnknown: func(_ Surface, c *verify.Check) string {
			return fmt.Sprintf("alg %q is not a JWS algorithm jwtrace verifies", c.Param("alg"))
		},
		verify.CodeKeyNone: fixed("no keys were given"),
		verify.CodeKeyRefused: func(_ Surface, c *verify.Check) string {
			return fmt.Sprintf("kid %q is in %s but was refused: %s", c.Param("kid"), c.Param("source"), c.Param("reason"))
		},
		verify.CodeKidNotFound: func(_ Surface, c *verify.Check) string {
			d := fmt.Sprintf("kid %q not found in %s (keys: %s)", c.Param("kid"), c.Param("origin"), c.Param("kids"))
			if c.Param("refetched") != "" {
				d += "; the keys were refetched once"
			}
			if e := c.Param("refetch_error"); e != "" {
				d += "; the refetch failed: " + e
			}
			return d
		},
		verify.CodeKeyConfusion: func(_ Surface, c *verify.Check) string {
			return "the token is HMAC-signed (" + c.Param("alg") + "), and the keys given are public keys, which never verify an HMAC token"
		},
		verify.CodeSecretShort: func(_ Surface, c *verify.Check) string {
			return "the secret is too short for " + c.Param("alg") + " (RFC 7518 §3.2: at least the hash size)"
		},
		verify.CodeKeyNoFit: func(_ Surface, c *verify.Check) string {
			return "no key can verify " + c.Param("alg") + ": " + c.Param("keys")
		},
		verify.CodeKidAmbiguous: func(_ Surface, c *verify.Check) string {
			return fmt.Sprintf("%s keys in %s share kid %q; jwtrace refuses to guess which one signs", c.Param("count"), c.Param("origin"), c.Param("kid"))
		},

		verify.CodeSigOK:      passed(func(p verify.Params) string { return "verified with " + p.Get("key") }),
		verify.CodeSigInvalid: func(_ Surface, c *verify.Check) string { return sigFailed(c) },
		verify.CodeSigTruncated: func(_ Surface, c *verify.Check) string {
			return "the signature is " + c.Param("bytes") + " of " + c.Param("want") + " bytes: the token looks truncated, and it does not verify"
		},
		verify.CodeSigSize: func(_ Surface, c *verify.Check) string {
			return "the signature is " + c.Param("bytes") + " bytes; an " + c.Param("alg") + " signature with this key is " + c.Param("want") + ", and it does not verify"
		},
		verify.CodeSigGraph: func(_ Surface, c *verify.Check) string {
			return sigFailed(c) + ": the header has a nonce, as Microsoft Graph access tokens do; Graph signs a header holding the nonce's SHA-256 instead, so only Graph can verify such a token"
		},

		verify.CodeIssOK: passed(func(p verify.Params) string {
			switch {
			case p.Get("template") != "":
				return p.Get("iss") + " (matches the template " + p.Get("template") + ")"
			case p.Get("azure_version") != "":
				return fmt.Sprintf("%s (Azure AD %s issuer of tenant %s, accepted for the %s rule %s)", p.Get("iss"), p.Get("azure_version"), p.Get("tenant"), p.Get("rule_version"), p.Get("rule"))
			}
			return p.Get("iss")
		}),
		verify.CodeIssMissing:   fixed("the token has no iss claim"),
		verify.CodeIssNotString: fixed("iss is not a string"),
		verify.CodeIssMismatch: func(_ Surface, c *verify.Check) string {
			return fmt.Sprintf("token iss %q is not an accepted issuer", c.Param("iss"))
		},
		verify.CodeIssTenant: func(s Surface, c *verify.Check) string {
			return "tenant " + orDash(c.Param("tenant")) + " is not one of " + s.words("--tenant ", "tenant: ", "the accepted tenants: ") + c.Param("tenants")
		},

		verify.CodeAudOK:      passed(func(p verify.Params) string { return p.Get("aud") }),
		verify.CodeAudMissing: fixed("the token has no aud claim"),
		verify.CodeAudType: func(_ Surface, c *verify.Check) string {
			return "aud is " + c.Param("value") + ": neither a string nor an array of strings (RFC 7519 §4.1.3)"
		},
		verify.CodeAudMismatch: func(_ Surface, c *verify.Check) string {
			return "token aud [" + c.Param("aud") + "] has none of: " + c.Param("want")
		},

		verify.CodeExpOK: passed(func(p verify.Params) string {
			return "expires in " + human(p.Get("delta"), 1) + ", at " + utc(p.Get("at")) + leeway(p)
		}),
		verify.CodeExpExpired: func(_ Surface, c *verify.Check) string {
			return "expired " + human(c.Param("delta"), -1) + " ago, at " + utc(c.Param("at")) + leeway(c.Params)
		},
		verify.CodeExpMissing: fixed("the token has no exp claim: it would never expire"),
		verify.CodeExpAllowed: func(s Surface, _ *verify.Check) string {
			return "the token has no exp (allowed by " + s.words("--allow-no-exp", "allow_no_exp:", "the rules") + "): it never expires"
		},
		verify.CodeExpNotNumeric: fixed("exp is not a NumericDate (seconds since 1970 as a JSON number)"),
		verify.CodeNbfOK:         passed(func(p verify.Params) string { return "valid since " + utc(p.Get("at")) }),
		verify.CodeNbfAbsent:     fixed("no nbf claim"),
		verify.CodeNbfFuture: func(_ Surface, c *verify.Check) string {
			return "not valid yet: valid from " + utc(c.Param("at")) + ", in " + human(c.Param("delta"), 1) + leeway(c.Params)
		},
		verify.CodeNbfNotNumeric: fixed("nbf is not a NumericDate"),
		verify.CodeIatOK: passed(func(p verify.Params) string {
			return "issued " + human(p.Get("delta"), -1) + " ago, at " + utc(p.Get("at"))
		}),
		verify.CodeIatAbsent: fixed("no iat claim"),
		verify.CodeIatFuture: func(_ Surface, c *verify.Check) string {
			return "issued in the future: at " + utc(c.Param("at")) + ", " + human(c.Param("delta"), 1) + " from now" + leeway(c.Params)
		},
		verify.CodeIatNotNumeric: fixed("iat is not a NumericDate"),

		verify.CodeTypOK: passed(func(p verify.Params) string { return p.Get("typ") }),
		verify.CodeTypMissing: func(_ Surface, c *verify.Check) string {
			return "the header has no typ; expected " + c.Param("want")
		},
		verify.CodeTypMismatch: func(_ Surface, c *verify.Check) string {
			return fmt.Sprintf("typ %q; expected %s", c.Param("typ"), c.Param("want"))
		},
		verify.CodeClaimsOK: passed(func(p verify.Params) string { return p.Get("want") }),
		verify.CodeClaimsFailed: func(s Surface, c *verify.Check) string {
			parts := make([]string, len(c.Items))
			for i, it := range c.Items {
				parts[i] = itemText(it)
			}
			return strings.Join(parts, "; ")
		},
		verify.CodeClaimMissing: func(_ Surface, c *verify.Check) string { return itemText(verify.Item{Code: c.Code, Params: c.Params}) },
		verify.CodeClaimValue:   func(_ Surface, c *verify.Check) string { return itemText(verify.Item{Code: c.Code, Params: c.Params}) },
		verify.CodeScopesOK:     passed(func(p verify.Params) string { return p.Get("scopes") }),

		// A validator's defaults (ByValidator says whose).
		verify.CodeAudUnexpected: func(_ Surface, c *verify.Check) string {
			return "the token carries aud [" + c.Param("aud") + "] and no audience is configured"
		},
		verify.CodeAudNotConfigured: fixed("no audience is configured"),
		verify.CodeIssNotConfigured: fixed("no issuer is configured"),
		verify.CodeExpInLeeway: func(_ Surface, c *verify.Check) string {
			return "expired " + human(c.Param("delta"), -1) + " ago, at " + utc(c.Param("at")) + ", within the leeway of " + c.Param("leeway")
		},
		verify.CodeNbfInLeeway: func(_ Surface, c *verify.Check) string {
			return "valid from " + utc(c.Param("at")) + ", in " + human(c.Param("delta"), 1) + ", within the leeway of " + c.Param("leeway")
		},
		verify.CodeNbfNotChecked: func(_ Surface, c *verify.Check) string {
			return "not checked: nbf is " + utc(c.Param("at"))
		},
		verify.CodeIatFutureAllowed: func(_ Surface, c *verify.Check) string {
			return "issued in the future (at " + utc(c.Param("at")) + ", " + human(c.Param("delta"), 1) + " from now), not checked"
		},
		verify.CodeTypNotAllowed: func(_ Surface, c *verify.Check) string {
			return fmt.Sprintf("typ %q is not one of: %s", c.Param("typ"), c.Param("allowed"))
		},
		verify.CodeScopeMissing: func(_ Surface, c *verify.Check) string {
			return "missing " + c.Param("missing") + "; the token has: " + orDash(c.Param("have"))
		},
	}
}

// notDeclared is a check the rules do not make: on the command line an
// explicit --skip-issuer or a missing --typ; in a chain file a key the hop
// does not declare.
func notDeclared(s Surface, c *verify.Check) string {
	rule := c.Param("rule")
	var d string
	switch rule {
	case verify.RuleIssuer:
		d = s.words("NOT CHECKED (--skip-issuer)", "not declared (issuer:)", "not checked") + ": any issuer is accepted"
	case verify.RuleAudience:
		d = s.words("NOT CHECKED (--skip-audience)", "not declared (audience:)", "not checked") + ": a token for any audience is accepted"
	default:
		switch s {
		case CLI:
			d = "no " + s.Rule(rule) + " rule"
		case YAML:
			d = "not declared (" + s.Rule(rule) + ")"
		default:
			d = "not checked: no " + strings.TrimPrefix(s.Rule(rule), "the ")
		}
	}
	if rule == verify.RuleTyp && c.Actual != "" {
		d += " (typ is " + strconv.Quote(c.Actual) + ")"
	}
	return d
}

// itemText is one failed required claim.
func itemText(it verify.Item) string {
	if it.Code == verify.CodeClaimMissing {
		return it.Params.Get("claim") + " is missing"
	}
	return fmt.Sprintf("%s is %s, not %q", it.Params.Get("claim"), it.Params.Get("value"), it.Params.Get("want"))
}

func sigFailed(c *verify.Check) string {
	if k := c.Param("key"); k != "" {
		return "the signature does not verify with " + k
	}
	return "the signature does not verify with any of the " + c.Param("count") + " candidate keys"
}

// human writes sign*delta seconds as decode does ("3h12m").
func human(delta string, sign int64) string {
	d, _ := strconv.ParseInt(delta, 10, 64)
	return decode.HumanSeconds(sign * d)
}

// maxRFC3339 and minRFC3339 are the seconds RFC 3339 can write
// (0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z); decode writes "out of
// range" past them (decode/times.go, newTime), and so does verify.
const (
	maxRFC3339 = 253402300799
	minRFC3339 = -62135596800
)

// utc writes Unix seconds as RFC 3339, or "a date out of range".
func utc(at string) string {
	sec, err := strconv.ParseInt(at, 10, 64)
	if err != nil || sec > maxRFC3339 || sec < minRFC3339 {
		return "a date out of range"
	}
	return time.Unix(sec, 0).UTC().Format(time.RFC3339)
}

func leeway(p verify.Params) string {
	if l := p.Get("leeway"); l != "" {
		return " (leeway " + l + ")"
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
