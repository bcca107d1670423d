package lazy

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestGetBuildsOnceAndKeepsTheValue(t *testing.T) {
	var v Value[[]int]
	var builds atomic.Int32
	build := func() []int { builds.Add(1); return []int{1, 2, 3} }
	var wg sync.WaitGroup
	got := make([][]int, 8)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = v.Get(build) }()
	}
	wg.Wait()
	if n := builds.Load(); n != 1 {
		t.Fatalf("built %d times, want once", n)
	}
	for i, g := range got {
		if len(g) != 3 || &g[0] != &got[0][0] {
			t.Fatalf("call %d got %v, not the one value", i, g)
		}
	}
}

var pkgValue Value[map[string]int]

func buildMap() map[string]int { return map[string]int{"a": 1} }

// After the first call, Get costs no allocation: it is called on hot paths
// (explain's text tables, the profile index).
func TestGetDoesNotAllocateOnceBuilt(t *testing.T) {
	pkgValue.Get(buildMap)
	if n := testing.AllocsPerRun(100, func() { _ = pkgValue.Get(buildMap)["a"] }); n != 0 {
		t.Fatalf("Get allocates %v times per call", n)
	}
}
