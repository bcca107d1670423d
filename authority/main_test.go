package authority_test

import (
	"flag"
	"os"
	"runtime"
	"strconv"
	"testing"
)

// TestMain runs 8 parallel tests at a time rather than GOMAXPROCS (2 on a
// small machine), unless -parallel says otherwise: the device-flow and
// browser tests wait on poll intervals and Chromium far more than they
// compute.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", strconv.Itoa(max(8, runtime.GOMAXPROCS(0))))
	}
	os.Exit(m.Run())
}
