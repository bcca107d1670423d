package decode

import (
	"encoding/json"
	"errors"
	"testing"
)

// NumericDate is the one reading of an RFC 7519 §2 NumericDate, for
// decode and verify: a fraction rounds down (also below zero), a far time
// is clamped, a number past float64's range is clamped and said to be,
// and what is not a number fails.
func TestNumericDate(t *testing.T) {
	for _, c := range []struct {
		raw     string
		want    int64
		inRange bool
		err     error // nil, ErrNumericRange, or errNotNumber for any other
	}{
		{"1795777331", 1795777331, true, nil},
		{"1795777331.9", 1795777331, true, nil},
		{"-1.5", -2, true, nil},
		{"1e300", MaxNumericDate, false, nil},
		{"-99999999999999999999", -MaxNumericDate, false, nil},
		{"1e400", MaxNumericDate, false, ErrNumericRange},
		{"-1e400", -MaxNumericDate, false, ErrNumericRange},
		{`"1795777331"`, 0, false, errNotNumber},
		{"null", 0, false, errNotNumber},
		{"true", 0, false, errNotNumber},
		{"[1]", 0, false, errNotNumber},
	} {
		got, inRange, err := NumericDate(json.RawMessage(c.raw))
		if got != c.want || inRange != c.inRange || !errors.Is(err, c.err) {
			t.Errorf("NumericDate(%s) = %d, %v, %v; want %d, %v, %v", c.raw, got, inRange, err, c.want, c.inRange, c.err)
		}
	}
}
