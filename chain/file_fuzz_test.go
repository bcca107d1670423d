package chain

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// FuzzChainFile feeds arbitrary bytes to ParseFile (and the hops it
// returns to Check). Whatever they hold it must not panic, and must answer
// in bounded time and memory: the pre-scan refuses what would make the
// YAML parser take gigabytes (see hostileFiles).
//
//	go test ./chain -run '^$' -fuzz FuzzChainFile -fuzztime 3m
func FuzzChainFile(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "testdata", "chains", "workouts.yaml")); err == nil {
		f.Add(b)
	} else {
		f.Fatal(err)
	}
	f.Add([]byte(goodFile))
	f.Add([]byte("hops:\n  - url: http://127.0.0.1:1/\n    expect: [1, 2]\n"))
	f.Add([]byte("hops: [{url: x, rules: {issuer: [a, b], require: c=d}}]"))
	f.Add([]byte("&a [*a, *a]"))
	f.Add([]byte("hops:\n  - url: x\n    body: |\n      {\n        [\n    rules: {scopes: ['']}\n"))
	for _, h := range hostileFiles() {
		// The fuzzer mutates small inputs best: a prefix keeps the shape.
		f.Add([]byte(h[:min(len(h), 4096)]))
	}
	dir := f.TempDir()
	getenv := func(k string) (string, bool) { return "", k == "EMPTY" }
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		hops, err := ParseFile(filepath.Join(dir, "chain.yaml"), data, getenv)
		if err == nil {
			_ = Check(hops, false)
		}
		runtime.ReadMemStats(&after)
		// Generous: the fuzzer runs several workers on a loaded machine.
		// A linear parse of the input's size takes well under these.
		if d := time.Since(start); d > 2*time.Second+time.Duration(len(data))*20*time.Microsecond {
			t.Errorf("%d bytes took %s", len(data), d)
		}
		if a := after.TotalAlloc - before.TotalAlloc; a > 64<<20+uint64(len(data))*4096 {
			t.Errorf("%d bytes allocated %d MiB", len(data), a>>20)
		}
	})
}
