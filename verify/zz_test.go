package verify
import "testing"
func BenchmarkParseToken(b *testing.B) {
	s := benchTokens(b, "RS256")
	b.ReportAllocs()
	i := 0
	for b.Loop() { parseToken(s.tokens[i%batchSize], false); i++ }
}
