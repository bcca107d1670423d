package decode

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/internal/textsafe"
)

// timeClaim is what a NumericDate claim jwtrace knows means (a switch:
// a package-level map is built at every start-up).
// Other claims are treated as times when their name says so (suffix "_at" or
// "_time") and their value is a plausible NumericDate.
func timeClaim(name string) (meaning string, known bool) {
	switch name {
	case "exp":
		return "expiry", true
	case "nbf":
		return "not before", true
	case "iat":
		return "issued at", true
	case "auth_time":
		return "sign-in time", true
	case "updated_at":
		return "profile updated", true
	case "rat":
		return "token requested", true
	case "pwd_exp":
		return "password expires", true
	case "orig_iat":
		return "original issue time", true
	}
	return "", false
}

// Plausible NumericDates: 2001-09-09 to 2100-01-01, in seconds.
const (
	minPlausible = 1_000_000_000
	maxPlausible = 4_102_444_800
)

// LongLifetime is the lifetime past which a token is flagged: bearer tokens
// that live longer than a day are hard to revoke.
const LongLifetime = 24 * time.Hour

func isTimeClaim(name string) (string, bool) {
	if m, ok := timeClaim(name); ok {
		return m, true
	}
	if strings.HasSuffix(name, "_at") || strings.HasSuffix(name, "_time") {
		return strings.ReplaceAll(name, "_", " "), true
	}
	return "", false
}

func (t *Token) evaluateTimes(now time.Time) {
	c := t.Claims
	// When a time claim occurs twice (itself an error), the last one counts,
	// as with JSON.parse and encoding/json.
	known := map[string]int64{}
	for i, m := range c.Members {
		meaning, ok := isTimeClaim(m.Key)
		if !ok {
			continue
		}
		_, registered := timeClaim(m.Key)
		sec, inRange, err := NumericDate(m.Value)
		if errors.Is(err, ErrNumericRange) {
			err = nil // shown out of range, as other far times
		}
		if err != nil {
			if registered {
				t.diag(SevWarning, CodeTimeType, "%s is %s; a NumericDate must be a JSON number of seconds since 1970 (RFC 7519 section 2)", m.Key, textsafe.Cut(string(m.Value), 40))
			}
			continue
		}
		switch {
		case sec > maxPlausible*100 && sec/1000 < maxPlausible:
			t.diag(SevWarning, CodeTimeMillis, "%s is %d, which looks like milliseconds; NumericDate is in seconds, so it reads as the year %d", m.Key, sec, time.Unix(sec, 0).UTC().Year())
		case !registered && (sec < minPlausible || sec > maxPlausible):
			continue // not a time after all
		case !inRange:
			t.diag(SevWarning, CodeTimeRange, "%s is %s, too far from today to be a real time", m.Key, textsafe.Cut(string(m.Value), 40))
		}
		known[m.Key] = sec
		tm := newTime(m.Key, meaning, sec, now)
		tm.Member = i
		t.Times = append(t.Times, tm)
	}

	exp, hasExp := known["exp"]
	nbf, hasNbf := known["nbf"]
	iat, hasIat := known["iat"]
	if hasExp && hasIat {
		life := exp - iat
		t.Lifetime = &Duration{Seconds: life, Human: HumanSeconds(life)}
		if life < 0 {
			t.diag(SevWarning, CodeTimeOrder, "exp is before iat: the token expired before it was issued")
		} else if life > int64(LongLifetime/time.Second) {
			t.diag(SevWarning, CodeLongLifetime, "the token lives %s (exp - iat); bearer tokens that live longer than a day are hard to revoke if they leak", HumanSeconds(life))
		}
	}
	if hasExp && hasNbf && nbf > exp {
		t.diag(SevWarning, CodeTimeOrder, "nbf is after exp: the token is never valid")
	}
	if hasIat && iat > now.Unix()+60 {
		t.diag(SevWarning, CodeIatFuture, "iat is %s in the future: the issuer's clock is ahead, or this machine's is behind; verifiers without leeway may reject it", HumanSeconds(iat-now.Unix()))
	}

	switch {
	case hasNbf && now.Unix() < nbf:
		t.Status = StatusNotYetValid
		t.StatusText = "not valid yet: becomes valid in " + HumanSeconds(nbf-now.Unix())
	case hasExp && now.Unix() >= exp:
		t.Status = StatusExpired
		t.StatusText = "expired " + HumanSeconds(now.Unix()-exp) + " ago"
	case hasExp:
		t.Status = StatusValid
		t.StatusText = "valid for " + HumanSeconds(exp-now.Unix()) + " more"
	default:
		t.Status = StatusNoExpiry
		t.StatusText = "no expiry: valid forever unless revoked"
		if !c.Has("exp") {
			t.diag(SevWarning, CodeNoExp, "no exp: the token never expires, so a leaked copy works forever; most verifiers reject it")
		}
	}
}

// MaxNumericDate bounds the times jwtrace computes with: past the year
// four million, beyond any real time (even one in milliseconds by
// mistake), and far from overflowing int64 arithmetic.
const MaxNumericDate = 1 << 47

// maxRFC3339 is the last second RFC 3339 can write (9999-12-31T23:59:59Z).
const maxRFC3339 = 253402300799

// NumericDate's errors: errNotNumber for a value that is not a JSON
// number, ErrNumericRange for a number past float64's range (1e400),
// which is returned clamped all the same.
var (
	errNotNumber    = errors.New("not a number")
	ErrNumericRange = errors.New("a number past float64's range")
)

// NumericDate reads a JSON NumericDate (RFC 7519 §2: seconds since 1970,
// an integer or a fraction) as whole seconds, rounded down (also below
// zero), clamped to ±MaxNumericDate; inRange is false when it had to
// clamp. It is the one reading of a NumericDate: decode shows what it
// reads, and verify checks it (verify refuses the ErrNumericRange
// numbers that decode shows as out of range).
func NumericDate(v json.RawMessage) (sec int64, inRange bool, err error) {
	s := string(v)
	if s == "" || s[0] == '"' || s == "null" || s == "true" || s == "false" || s[0] == '{' || s[0] == '[' {
		return 0, false, errNotNumber
	}
	f, ferr := strconv.ParseFloat(s, 64)
	if i, ierr := strconv.ParseInt(s, 10, 64); ierr == nil {
		f, ferr = float64(i), nil
		if i >= -MaxNumericDate && i <= MaxNumericDate {
			return i, true, nil
		}
	}
	if ferr != nil && !errors.Is(ferr, strconv.ErrRange) || math.IsNaN(f) {
		return 0, false, errNotNumber
	}
	if ferr != nil {
		// ParseFloat says ±Inf.
		err = ErrNumericRange
	}
	switch {
	case f > MaxNumericDate:
		return MaxNumericDate, false, err
	case f < -MaxNumericDate:
		return -MaxNumericDate, false, err
	}
	return int64(math.Floor(f)), true, err
}

func newTime(claim, meaning string, sec int64, now time.Time) Time {
	delta := sec - now.Unix()
	utc := time.Unix(sec, 0).UTC().Format(time.RFC3339)
	if sec > maxRFC3339 || sec < -62135596800 {
		utc = "out of range"
	}
	return Time{Claim: claim, Unix: sec, UTC: utc, Delta: delta, Meaning: meaning, Relative: relative(claim, meaning, delta)}
}

// relative phrases a time for its claim.
func relative(claim, meaning string, delta int64) string {
	d := HumanSeconds(abs(delta))
	future := delta > 0
	switch claim {
	case "exp":
		if future {
			return "expires in " + d
		}
		return "expired " + d + " ago"
	case "nbf":
		if future {
			return "valid from " + d + " from now"
		}
		return "valid since " + d + " ago"
	case "iat":
		if future {
			return "issued " + d + " in the future"
		}
		return "issued " + d + " ago"
	}
	if future {
		return meaning + " in " + d
	}
	return meaning + " " + d + " ago"
}

func abs(x int64) int64 {
	if x < 0 {
		if x == math.MinInt64 {
			return math.MaxInt64
		}
		return -x
	}
	return x
}

// HumanSeconds writes a number of seconds in its two largest units: "45s",
// "12m5s", "3h12m", "2d4h", "400d", "120y". It never overflows.
func HumanSeconds(s int64) string {
	s = abs(s)
	if s > 100*365*86400 {
		return units(s/(365*86400), "y", 0, "")
	}
	days, s := s/86400, s%86400
	hours, s := s/3600, s%3600
	mins, secs := s/60, s%60
	switch {
	case days >= 100:
		return units(days, "d", 0, "")
	case days > 0:
		return units(days, "d", hours, "h")
	case hours > 0:
		return units(hours, "h", mins, "m")
	case mins > 0:
		return units(mins, "m", secs, "s")
	default:
		return units(secs, "s", 0, "")
	}
}

// units writes "3h12m", or "3h" when the second number is zero. (strconv,
// not fmt: verify --batch writes times for every token.)
func units(a int64, ua string, b int64, ub string) string {
	buf := make([]byte, 0, 16)
	buf = strconv.AppendInt(buf, a, 10)
	buf = append(buf, ua...)
	if b != 0 {
		buf = strconv.AppendInt(buf, b, 10)
		buf = append(buf, ub...)
	}
	return string(buf)
}
