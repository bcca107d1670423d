package cmd

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/demo"
	"github.com/jwtrace/jwtrace/demo/resource"
)

// TestMain lets testscript run "jwtrace" as cmd.Main in a child process of
// the test binary: no binary is built, and coverage counts.
func TestMain(m *testing.M) {
	testscript.Main(homeGuard{m}, map[string]func(){
		"jwtrace": func() { os.Exit(Main(context.Background())) },
	})
}

// homeGuard runs the tests with $HOME (and the XDG directories) pointing at
// a throwaway directory, and fails the run when a test wrote there: every
// test keeps to its own temp dirs, and the user's caches, tokens and
// authority keys are never touched. (Only the top-level test process runs
// this; the commands testscript starts return before Run.)
type homeGuard struct{ m *testing.M }

func (g homeGuard) Run() int {
	// These tests wait on loopback servers, subprocesses and timers far
	// more than they compute: run 8 parallel tests at a time rather than
	// GOMAXPROCS (2 on a small machine), unless -parallel says otherwise.
	flag.Parse()
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		_ = flag.Set("test.parallel", strconv.Itoa(max(8, runtime.GOMAXPROCS(0))))
	}
	home, err := os.MkdirTemp("", "jwtrace-test-home-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(home)
	for _, k := range []string{"XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "JWTRACE_CACHE_DIR", "JWTRACE_AUTHORITY_DIR", "JWTRACE_CONFIG", "JWTRACE_PROFILE"} {
		os.Unsetenv(k)
	}
	os.Setenv("HOME", home)
	code := g.m.Run()
	var stray []string
	_ = filepath.WalkDir(home, func(p string, d os.DirEntry, err error) error {
		if err == nil && p != home {
			stray = append(stray, strings.TrimPrefix(p, home))
		}
		return nil
	})
	if len(stray) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: tests wrote outside their temp dirs, under $HOME: %s\n", strings.Join(stray, ", "))
		if code == 0 {
			code = 1
		}
	}
	return code
}

// TestScripts runs the end-to-end user stories in testdata/script/*.txtar.
// $TESTDATA points at the repository's testdata directory. The custom
// command "mkfile NAME SIZE CHAR" writes a file of SIZE bytes; "idpproxy"
// starts an HTTP proxy (see idpProxy); "authority" starts the project's
// authority (see startAuthority).
func TestScripts(t *testing.T) {
	t.Parallel()
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
			env.Values["idpproxy"] = &proxyCounter{}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"idpproxy":  idpProxy,
			"authority": startAuthority,
			"services":  startServices,
			"envfile": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: envfile NAME FILE")
				}
				ts.Setenv(args[0], strings.TrimSpace(ts.ReadFile(args[1])))
			},
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

// idpProxy starts, for one script, an HTTP forward proxy on loopback that
// answers for the made-up host idp.test (discovery and the repository's
// test JWKS) and refuses every other host. It sets $PROXY to its URL, so a
// script can show that jwtrace's requests go through HTTP_PROXY: without
// the proxy, idp.test does not resolve. "idpproxy requests N" checks how
// many requests it has served.
func idpProxy(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 2 && args[0] == "requests" {
		srv := ts.Value("idpproxy").(*proxyCounter)
		if got := strconv.FormatInt(srv.n.Load(), 10); (got == args[1]) == neg {
			ts.Fatalf("idpproxy served %s requests, want %s%s", got, map[bool]string{true: "not ", false: ""}[neg], args[1])
		}
		return
	}
	if neg || len(args) != 0 {
		ts.Fatalf("usage: idpproxy | idpproxy requests N")
	}
	jwks, err := os.ReadFile(filepath.Join(ts.Getenv("TESTDATA"), "keys", "jwks.json"))
	ts.Check(err)
	pc := ts.Value("idpproxy").(*proxyCounter)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Host != "idp.test" {
			http.Error(w, "this proxy serves only idp.test", http.StatusForbidden)
			return
		}
		pc.n.Add(1)
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			fmt.Fprint(w, `{"issuer":"http://idp.test","jwks_uri":"http://idp.test/keys"}`)
		case "/keys":
			w.Write(jwks)
		default:
			http.NotFound(w, r)
		}
	}))
	ts.Defer(srv.Close)
	ts.Setenv("PROXY", srv.URL)
}

type proxyCounter struct{ n atomic.Int64 }

// startAuthority starts the project's authority in the test process on
// 127.0.0.1:0, approving every device login as alice, and sets
// $AUTHORITY to its issuer. It stops when the script ends.
func startAuthority(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: authority")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	a, err := authority.New(authority.Config{URL: "http://" + ln.Addr().String(), AutoApprove: "alice", PollInterval: time.Second})
	ts.Check(err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	ts.Defer(func() { cancel(); <-done })
	ts.Setenv("AUTHORITY", a.Issuer())
}

// startServices starts loopback services that validate tokens of
// $AUTHORITY, as in the demo: workouts (api://workouts, calls workout-log
// with the same token), workout-log (api://workouts), billing
// (api://billing), and reports, which should demand api://reports but is
// misconfigured to accept api://workouts. It sets $WORKOUTS, $WORKOUTLOG,
// $BILLING and $REPORTS.
func startServices(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: services")
	}
	iss := ts.Getenv("AUTHORITY")
	if iss == "" {
		ts.Fatalf("services: run authority first")
	}
	start := func(env, name, aud, downstream string) string {
		srv, err := resource.Start(resource.Config{Name: name, Policy: demo.ServicePolicy(iss, aud), Downstream: downstream})
		ts.Check(err)
		ts.Defer(func() { srv.Close() })
		ts.Setenv(env, srv.URL)
		return srv.URL
	}
	log := start("WORKOUTLOG", "workout-log", "api://workouts", "")
	start("WORKOUTS", "workouts", "api://workouts", log+"/entries")
	start("BILLING", "billing", "api://billing", "")
	start("REPORTS", "reports", "api://workouts", "")
}
