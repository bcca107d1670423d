package cmd

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run "jwtrace" as cmd.Main in a child process of
// the test binary: no binary is built, and coverage counts.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"jwtrace": func() { os.Exit(Main(context.Background())) },
	})
}

// TestScripts runs the end-to-end user stories in testdata/script/*.txtar.
// $TESTDATA points at the repository's testdata directory. The custom
// command "mkfile NAME SIZE CHAR" writes a file of SIZE bytes.
func TestScripts(t *testing.T) {
	testdata, err := filepath.Abs("../testdata")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "../testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("TESTDATA", testdata)
			env.Setenv("TZ", "UTC")
			env.Setenv("TERM", "xterm-256color")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mkfile": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 3 {
					ts.Fatalf("usage: mkfile NAME SIZE CHAR")
				}
				n, err := strconv.Atoi(args[1])
				ts.Check(err)
				b := make([]byte, n)
				for i := range b {
					b[i] = args[2][0]
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o644))
			},
		},
	})
}
