// Command startup measures jwtrace's start-up the way issue 18 states its
// goal: `jwtrace decode` of a token on stdin, whole process, against a Go
// hello world built the same way, timed in the same run.
//
//	go run ./internal/tools/startup [-runs 300] [-rounds 3] [-token FILE]
//
// It builds both programs with the release build's flags (CGO_ENABLED=0,
// -trimpath, -ldflags "-s -w") into a temporary directory, then runs them
// interleaved — hello, jwtrace, hello, … — so that the machine's load falls
// on both alike. Each round prints the medians and their ratio. The machine
// is shared: read the ratio, not the microseconds, and look at every round.
//
// How the kernel holds a binary's pages changes the cost of mapping them,
// so both programs are timed in three states, in this order (-state picks
// one):
//   - built: as go build left them, the way one times a build right after
//     making it (the linker writes its output through a shared mapping);
//   - written: rewritten through write(2), as cp, tar and dpkg write an
//     installed binary, and timed while those pages are cached (large
//     folios: cheaper page faults);
//   - disk: dropped from the page cache (posix_fadvise DONTNEED, for these
//     two files only) and read back by the first run, as after a reboot or
//     once memory pressure has evicted them: the slowest of the three.
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

	"golang.org/x/sys/unix"
)

const hello = `package main

import "fmt"

func main() { fmt.Println("hello, world") }
`

func main() {
	runs := flag.Int("runs", 300, "runs of each program per round")
	rounds := flag.Int("rounds", 3, "rounds")
	token := flag.String("token", "testdata/tokens/access.jwt", "the token decode reads on stdin")
	state := flag.String("state", "", "time the files in one state only: built, written or disk (default all three)")
	flag.Parse()
	states := []string{"built", "written", "disk"}
	switch *state {
	case "":
	case "built", "written", "disk":
		states = []string{*state}
	default:
		fmt.Fprintln(os.Stderr, "startup: -state is built, written or disk")
		os.Exit(2)
	}
	if err := run(*runs, *rounds, *token, states); err != nil {
		fmt.Fprintln(os.Stderr, "startup:", err)
		os.Exit(1)
	}
}

func run(runs, rounds int, token string, states []string) error {
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
	cmds := [][]string{{hw}, {jw, "decode"}}
	for _, state := range states {
		for _, p := range []string{jw, hw} {
			var err error
			switch state {
			case "disk":
				err = evict(p)
			case "written":
				err = recopy(p)
			}
			if err != nil {
				return err
			}
		}
		// A first round that is not counted (it reads an evicted file back
		// in, and the CPU's frequency settles).
		if _, err := interleave(cmds, 30, token); err != nil {
			return err
		}
		for r := 1; r <= rounds; r++ {
			times, err := interleave(cmds, runs, token)
			if err != nil {
				return err
			}
			h, j := median(times[0]), median(times[1])
			fmt.Printf("%-7s round %d: hello %6.0f µs, jwtrace decode %6.0f µs: %.2f×\n", state, r, us(h), us(j), float64(j)/float64(h))
		}
	}
	return nil
}

// evict drops path's pages from the page cache (after writing them out),
// so that the next run reads it from disk.
func evict(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return err
	}
	return unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
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
