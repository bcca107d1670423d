package main

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary is jwtrace itself when JWTRACE_TEST_MAIN=1, so that a
// test can send it signals as a user's shell (or timeout, or systemd) would.
func TestMain(m *testing.M) {
	if os.Getenv("JWTRACE_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// SIGTERM stops a command that waits, as Ctrl-C does: the authority says
// it stopped and exits 0, and demo --keep-running removes its temporary
// directory (with a cached token in it).
func TestSIGTERMStopsACommandThatWaits(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		ready string
		after func(t *testing.T, out string)
	}{
		{"authority serve", []string{"authority", "serve", "--ephemeral", "--addr", "127.0.0.1:0"}, "Press Ctrl-C to stop.", func(t *testing.T, out string) {
			if !strings.Contains(out, "jwtrace authority: stopped") {
				t.Errorf("no stop message:\n%s", out)
			}
		}},
		{"demo --keep-running", []string{"demo", "--keep-running"}, "jwtrace is not on your PATH", func(t *testing.T, out string) {
			i := strings.Index(out, "/jwtrace-demo-")
			if i < 0 {
				t.Fatalf("no demo directory in the output:\n%s", out)
			}
			dir := out[strings.LastIndex(out[:i], " ")+1 : i+len("/jwtrace-demo-")]
			for j := i + len("/jwtrace-demo-"); j < len(out) && out[j] >= '0' && out[j] <= '9'; j++ {
				dir += out[j : j+1]
			}
			dir = strings.TrimLeft(dir, "'\"=")
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("%s is still there after SIGTERM (%v)", dir, err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			c := exec.Command(os.Args[0], tc.args...)
			c.Env = append(os.Environ(), "JWTRACE_TEST_MAIN=1", "HOME="+home, "JWTRACE_CACHE_DIR="+home, "TMPDIR="+home, "NO_COLOR=1", "PATH=/usr/bin:/bin")
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			c.Stdout, c.Stderr = pw, pw
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			pw.Close()
			var out strings.Builder
			ready := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				sc := bufio.NewScanner(pr)
				sc.Buffer(make([]byte, 64<<10), 1<<20)
				seen := false
				for sc.Scan() {
					out.WriteString(sc.Text() + "\n")
					if !seen && strings.Contains(sc.Text(), tc.ready) {
						seen = true
						close(ready)
					}
				}
			}()
			select {
			case <-ready:
			case <-time.After(20 * time.Second):
				_ = c.Process.Kill()
				<-done
				t.Fatalf("not ready in 20s:\n%s", out.String())
			}
			if err := c.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			werr := make(chan error, 1)
			go func() { werr <- c.Wait() }()
			select {
			case err := <-werr:
				<-done
				if err != nil {
					t.Errorf("exit after SIGTERM: %v\n%s", err, out.String())
				}
			case <-time.After(10 * time.Second):
				_ = c.Process.Kill()
				t.Fatalf("still running 10s after SIGTERM:\n%s", out.String())
			}
			tc.after(t, out.String())
		})
	}
}

// Every command runs the init of every package linked into jwtrace, so
// start-up work in any of them is decode's too (issue 18). jwtrace's own
// packages have none (values are built on first use: internal/lazy), and
// html/template and encoding/xml, whose inits compile regexps and build
// maps, are not linked (internal/htmlsafe, report's JUnit writer).
func TestStartUpRunsNoInitOfOurs(t *testing.T) {
	in, err := os.Open("testdata/tokens/access.jwt")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	c := exec.Command(os.Args[0], "decode")
	c.Env = append(os.Environ(), "JWTRACE_TEST_MAIN=1", "GODEBUG=inittrace=1")
	c.Stdin = in
	var stderr strings.Builder
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		t.Fatalf("decode: %v\n%s", err, stderr.String())
	}
	trace := stderr.String()
	if !strings.Contains(trace, "init runtime @") {
		t.Fatalf("no init trace on stderr:\n%s", trace)
	}
	for _, line := range strings.Split(trace, "\n") {
		for _, pkg := range []string{"github.com/jwtrace/jwtrace", "html/template ", "encoding/xml "} {
			if strings.HasPrefix(line, "init "+pkg) {
				t.Errorf("start-up work: %s", line)
			}
		}
	}
}
