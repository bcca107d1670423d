// Command startup measures jwtrace's start-up the way issue 18 states its
// goal: `jwtrace decode` of a token on stdin, whole process, against a Go
// hello world built the same way, timed in the same run.
//
//	go run ./internal/tools/startup [-runs 300] [-rounds 3] [-token FILE]
//
// It builds both programs with the release build's flags (CGO_ENABLED=0,
// -trimpath, -ldflags "-s -w") into a temporary directory, copies each once
// (a file the linker wrote and one written by cp, dpkg or tar differ in
// how the kernel maps them; both get the second kind, the way an installed
// jwtrace is), then runs them interleaved — hello, jwtrace, hello, … — so
// that the machine's load falls on both alike. Each round prints the
// medians and their ratio. The machine is shared: read the ratio, not the
// microseconds, and look at every round.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

const hello = `package main

import "fmt"

func main() { fmt.Println("hello, world") }
`

func main() {
	runs := flag.Int("runs", 300, "runs of each program per round")
	rounds := flag.Int("rounds", 3, "rounds")
	token := flag.String("token", "testdata/tokens/access.jwt", "the token decode reads on stdin")
	asBuilt := flag.Bool("as-built", false, "time the files as the linker wrote them, not copied")
	flag.Parse()
	if err := run(*runs, *rounds, *token, !*asBuilt); err != nil {
		fmt.Fprintln(os.Stderr, "startup:", err)
		os.Exit(1)
	}
}

func run(runs, rounds int, token string, copied bool) error {
	dir, err := os.MkdirTemp("", "jwtrace-startup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	hdir := filepath.Join(dir, "hello")
	if err := os.Mkdir(hdir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(hdir, "go.mod"), []byte("module hello\n"), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(hdir, "main.go"), []byte(hello), 0o644); err != nil {
		return err
	}
	jw, hw := filepath.Join(dir, "jwtrace"), filepath.Join(dir, "hello-world")
	if err := build(".", jw); err != nil {
		return err
	}
	if err := build(hdir, hw); err != nil {
		return err
	}
	for _, p := range []string{jw, hw} {
		if !copied {
			break
		}
		if err := recopy(p); err != nil {
			return err
		}
	}
	cmds := [][]string{{hw}, {jw, "decode"}}
	// A warm-up round that is not counted: page cache, CPU frequency.
	if _, err := interleave(cmds, 30, token); err != nil {
		return err
	}
	for r := 1; r <= rounds; r++ {
		times, err := interleave(cmds, runs, token)
		if err != nil {
			return err
		}
		h, j := median(times[0]), median(times[1])
		fmt.Printf("round %d: hello %6.0f µs, jwtrace decode %6.0f µs: %.2f×\n", r, us(h), us(j), float64(j)/float64(h))
	}
	return nil
}

func build(pkg, out string) error {
	c := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
	c.Dir = pkg
	c.Env = append(os.Environ(), "CGO_ENABLED=0")
	c.Stdout, c.Stderr = os.Stderr, os.Stderr
	if err := c.Run(); err != nil {
		return fmt.Errorf("building %s: %w", pkg, err)
	}
	return nil
}

// recopy rewrites path through write(2), as installing does.
func recopy(path string) error {
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(path+".copy", os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(struct{ io.Writer }{out}, in); err != nil { // no copy_file_range: a plain write
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(path+".copy", path)
}

// interleave runs each command runs times, in turn, with token on stdin
// and stdout and stderr to /dev/null, and returns each one's wall times.
// It forks and waits directly: exec.Cmd's goroutines and pipes would add
// noise of their own.
func interleave(cmds [][]string, runs int, token string) ([][]time.Duration, error) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	defer null.Close()
	times := make([][]time.Duration, len(cmds))
	for range runs {
		for i, c := range cmds {
			in, err := os.Open(token)
			if err != nil {
				return nil, err
			}
			attr := &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{in.Fd(), null.Fd(), null.Fd()}}
			start := time.Now()
			pid, err := syscall.ForkExec(c[0], c, attr)
			if err != nil {
				in.Close()
				return nil, err
			}
			var ws syscall.WaitStatus
			if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
				in.Close()
				return nil, err
			}
			times[i] = append(times[i], time.Since(start))
			in.Close()
			if ws.ExitStatus() != 0 {
				return nil, fmt.Errorf("%v exited %d", c, ws.ExitStatus())
			}
		}
	}
	return times, nil
}

func median(ts []time.Duration) time.Duration {
	s := slices.Clone(ts)
	slices.Sort(s)
	return s[len(s)/2]
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
