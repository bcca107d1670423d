package cmd

import (
	"fmt"
	"strconv"
	"time"
)

// parseTimeFlag reads a moment given on the command line: RFC 3339, a date
// and time without zone (taken as UTC), a date, or Unix seconds.
func parseTimeFlag(v string) (time.Time, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 (2026-11-27T10:42:00Z), YYYY-MM-DD, or Unix seconds", v)
}
