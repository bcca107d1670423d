package chain

import (
	"strings"
	"testing"
)

// FuzzParseChallenges feeds arbitrary header values, one per line of the
// input, through ParseChallenges. Whatever they hold it must not panic, must
// stay within its bounds, and every challenge, and the whole list, must parse
// back from its String() (see checkChallenges).
//
//	go test ./chain -run '^$' -fuzz FuzzParseChallenges -fuzztime 60s
func FuzzParseChallenges(f *testing.F) {
	for _, tc := range challengeCases {
		f.Add(strings.Join(tc.values, "\n"))
	}
	f.Fuzz(func(t *testing.T, input string) {
		values := strings.Split(input, "\n")
		checkChallenges(t, values, ParseChallenges(values))
	})
}
