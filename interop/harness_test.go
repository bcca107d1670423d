package interop

// The harness: the jwtrace binary under test, a "user" that runs it with its
// own cache directory, and servers started as child processes that are
// stopped by process group when the test that started them ends, pass or
// fail (and killed by the kernel if the test binary itself dies).

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// jwtraceBin is the path of the jwtrace binary the tests drive: $JWTRACE_BIN,
// else built from the main module (..) by TestMain. zitadelBin is this
// module's ./zitadelop, built by TestMain.
var jwtraceBin, zitadelBin string

func TestMain(m *testing.M) {
	// The tests spend their time waiting (a device login polls every
	// 5 s), not computing: run more of them at once than go test's
	// default of one per core, unless -parallel says otherwise.
	flag.Parse()
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		_ = flag.Set("test.parallel", "16")
	}
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "jwtrace-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	if _, err := os.Stat(filepath.Join("node_modules", "oidc-provider", "package.json")); err != nil {
		fmt.Fprintln(os.Stderr, "interop: oidc-provider is not installed: run `npm ci` in interop/ first (Node 20 or later)")
		return 1
	}
	if _, err := exec.LookPath("node"); err != nil {
		fmt.Fprintln(os.Stderr, "interop: node is not on PATH: oidc-provider needs Node 20 or later")
		return 1
	}

	jwtraceBin = os.Getenv("JWTRACE_BIN")
	if jwtraceBin == "" {
		jwtraceBin = filepath.Join(dir, "jwtrace")
		if err := goBuild("..", jwtraceBin, "."); err != nil {
			fmt.Fprintln(os.Stderr, "interop: building jwtrace:", err)
			return 1
		}
	} else if jwtraceBin, err = filepath.Abs(jwtraceBin); err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	zitadelBin = filepath.Join(dir, "zitadelop")
	if err := goBuild(".", zitadelBin, "./zitadelop"); err != nil {
		fmt.Fprintln(os.Stderr, "interop: building zitadelop:", err)
		return 1
	}
	return m.Run()
}

func goBuild(dir, out, pkg string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v\n%s", err, b)
	}
	return nil
}

// result is what a user sees of one jwtrace run.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("$ jwtrace %s\n[exit %d]\n--- stdout\n%s--- stderr\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// user is one person's (or CI job's) jwtrace: its own cache directory, so
// tokens and discovery documents are not shared between tests.
type user struct {
	t     *testing.T
	cache string
	env   []string
}

func newUser(t *testing.T) *user {
	t.Helper()
	home := t.TempDir()
	cache := filepath.Join(home, "cache")
	if err := os.Mkdir(cache, 0o700); err != nil {
		t.Fatal(err)
	}
	return &user{t: t, cache: cache, env: []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"JWTRACE_CACHE_DIR=" + cache,
		"NO_COLOR=1",
		"TZ=UTC",
	}}
}

// command is jwtrace with args, in the user's environment plus env.
func (u *user) command(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, jwtraceBin, args...)
	cmd.Env = append(append([]string(nil), u.env...), env...)
	cmd.WaitDelay = 5 * time.Second
	setProcAttr(cmd) // a login left polling dies with the test binary
	return cmd
}

// jwtrace runs jwtrace to the end (at most a minute) and returns what it
// printed and its exit code.
func (u *user) jwtrace(args ...string) result {
	u.t.Helper()
	return u.jwtraceEnv(nil, args...)
}

// jwtraceEnv is jwtrace with extra environment variables (NAME=VALUE).
func (u *user) jwtraceEnv(env []string, args ...string) result {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := u.command(ctx, env, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String(), code: exitCode(err)}
	if r.code < 0 {
		u.t.Fatalf("running jwtrace: %v\n%s", err, r)
	}
	return r
}

func exitCode(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee) && ee.Exited():
		return ee.ExitCode()
	default:
		return -1
	}
}

// prompt is what jwtrace login shows a person: where to go, what to enter.
type prompt struct {
	URI, Code, CompleteURI string
	// AuthURL is the authorization URL of login --grant auth-code.
	AuthURL string
}

var (
	promptURI      = regexp.MustCompile(`To sign in, open\s+(\S+)`)
	promptCode     = regexp.MustCompile(`and enter the code\s+(\S+)`)
	promptComplete = regexp.MustCompile(`or open\s+(\S+)`)
)

// deviceLogin runs jwtrace login (the device grant, --no-browser added),
// waits for the box with the code on stderr, and calls person with it, as
// someone reading the terminal would; then it waits for jwtrace to finish.
func (u *user) deviceLogin(person func(prompt), args ...string) result {
	u.t.Helper()
	args = append([]string{"login", "--no-browser"}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout bytes.Buffer
	stderr := &syncBuffer{}
	cmd := u.command(ctx, nil, args...)
	cmd.Stdout = &stdout
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		u.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { err := cmd.Wait(); pw.Close(); done <- err }()
	got := make(chan prompt, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		var p prompt
		sent := false
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			stderr.Write([]byte(line + "\n"))
			if m := promptURI.FindStringSubmatch(line); m != nil {
				p.URI = m[1]
			}
			if m := promptCode.FindStringSubmatch(line); m != nil {
				p.Code = m[1]
			}
			if m := promptComplete.FindStringSubmatch(line); m != nil {
				p.CompleteURI = m[1]
			}
			if strings.HasPrefix(line, "http") && strings.Contains(line, "response_type=code") {
				p.AuthURL = line // auth-code: the URL on a line of its own
			}
			if !sent && (strings.HasPrefix(line, "Waiting for approval") || strings.HasPrefix(line, "Waiting for the sign-in")) {
				got <- p
				sent = true
			}
		}
		io.Copy(io.Discard, pr)
	}()

	finish := func(err error) result {
		<-scanned
		r := result{args: args, stdout: stdout.String(), stderr: stderr.String(), code: exitCode(err)}
		if r.code < 0 {
			u.t.Fatalf("running jwtrace: %v\n%s", err, r)
		}
		return r
	}
	select {
	case p := <-got:
		if p.AuthURL == "" && (p.URI == "" || p.Code == "") {
			cancel()
			u.t.Fatalf("jwtrace login showed no URL and code:\n%s", stderr.String())
		}
		person(p)
	case err := <-done:
		// jwtrace ended without asking anyone (cached token, or an error).
		return finish(err)
	case <-ctx.Done():
		u.t.Fatalf("jwtrace login showed no code within 2 minutes:\n%s", stderr.String())
	}
	select {
	case err := <-done:
		return finish(err)
	case <-ctx.Done():
		<-done
		u.t.Fatalf("jwtrace login did not finish within 2 minutes:\n%s", stderr.String())
	}
	panic("unreachable")
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is a child process serving on loopback.
type server struct {
	name string
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

// startServer starts cmd in its own process group, waits (up to 30 s) for
// the first line on its stdout, which must be its URL, and stops it when
// the test ends: SIGTERM to the group, then SIGKILL after 3 s. The rest of
// its stdout and all its stderr are kept and printed if the test failed.
func startServer(t *testing.T, name string, cmd *exec.Cmd) (string, *server) {
	t.Helper()
	s := &server{name: name, cmd: cmd, log: &syncBuffer{}, done: make(chan struct{})}
	setProcAttr(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = s.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	first := make(chan string, 1)
	go func() {
		br := bufio.NewReader(stdout)
		line, _ := br.ReadString('\n')
		first <- strings.TrimSpace(line)
		io.Copy(s.log, br)
	}()
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("%s (pid %d) log:\n%s", name, cmd.Process.Pid, tail(s.log.String(), 150))
		}
	})
	select {
	case url := <-first:
		if !strings.HasPrefix(url, "http://127.0.0.1:") {
			s.stop()
			t.Fatalf("%s printed %q instead of its URL; log:\n%s", name, url, s.log.String())
		}
		return url, s
	case <-s.done:
		t.Fatalf("%s exited before serving (%v); log:\n%s", name, cmd.ProcessState, s.log.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not print its URL within 30s; log:\n%s", name, s.log.String())
	}
	return "", nil
}

// stop ends the server's process group: SIGTERM, then SIGKILL.
func (s *server) stop() {
	pgid := s.cmd.Process.Pid
	select {
	case <-s.done:
		return
	default:
	}
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.done
	}
}

func tail(s string, lines int) string {
	all := strings.SplitAfter(s, "\n")
	if len(all) > lines {
		all = append([]string{fmt.Sprintf("… %d earlier lines\n", len(all)-lines)}, all[len(all)-lines:]...)
	}
	return strings.Join(all, "")
}
