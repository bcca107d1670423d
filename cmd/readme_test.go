package cmd

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/demo"
	"github.com/jwtrace/jwtrace/internal/ui"
)

// TestREADMEExamplesAreRealOutput runs every ```console block of README.md
// whose first line is "$ jwtrace ..." and compares what it prints (stdout
// and stderr, as a terminal shows them, without color) with the block. A
// README that drifts from the build fails here; refresh a block by running
// its command and pasting the output.
func TestREADMEExamplesAreRealOutput(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir("..")

	blocks := regexp.MustCompile("(?s)```console\n(.*?)```").FindAllSubmatch(readme, -1)
	ran := 0
	for _, b := range blocks {
		text := string(b[1])
		first, want, _ := strings.Cut(text, "\n")
		if !strings.HasPrefix(first, "$ jwtrace ") || liveBlock(first) {
			continue
		}
		ran++
		t.Run(first, func(t *testing.T) {
			args, err := shellWords(strings.TrimPrefix(first, "$ jwtrace "))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			s := &ui.Streams{In: strings.NewReader(""), Out: &out, ErrOut: &out, Env: []string{"TERM=dumb", "JWTRACE_CACHE_DIR=" + t.TempDir()}, Location: time.UTC}
			code := Run(context.Background(), s, args, func() time.Time { return time.Date(2026, 11, 27, 10, 50, 0, 0, time.UTC) })
			got := out.String()
			if m := regexp.MustCompile(`(?m)^\[exit (\d+)\]\n\z`).FindStringSubmatchIndex(want); m != nil {
				wantCode, _ := strconv.Atoi(want[m[2]:m[3]])
				if code != wantCode {
					t.Errorf("exit code %d, README says %d", code, wantCode)
				}
				want = want[:m[0]]
			} else if code != 0 {
				t.Errorf("exit code %d; add a line [exit %d] to the block if that is intended", code, code)
			}
			if got != want {
				t.Errorf("README block differs from the real output.\n--- real\n%s\n--- README\n%s", got, want)
			}
		})
	}
	if ran == 0 {
		t.Fatal("no console blocks found in README.md")
	}
}

// TestREADMEDocumentsEveryExitCode keeps the README's exit code table and
// exit.go's constants in step.
func TestREADMEDocumentsEveryExitCode(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented []int
	for _, m := range regexp.MustCompile("(?m)^\\| `?(\\d+)`? \\|").FindAllSubmatch(readme, -1) {
		n, _ := strconv.Atoi(string(m[1]))
		documented = append(documented, n)
	}
	want := ExitCodes
	if len(documented) != len(want) {
		t.Fatalf("README documents exit codes %v, exit.go has %v", documented, want)
	}
	for i := range want {
		if documented[i] != want[i] {
			t.Errorf("README documents exit codes %v, exit.go has %v", documented, want)
		}
	}
}

// shellWords splits a command line the way a POSIX shell would for the
// simple cases the README uses: spaces, and single or double quotes.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, strconv.ErrSyntax
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

var updateREADME = flag.Bool("update-readme", false, "rewrite README.md's live console blocks (demo, chain) with the current build's output")

// liveBlock reports whether a console block runs against live servers
// (the demo, or chain against the demo's services), whose ports, times and
// keys change from run to run: TestREADMELiveExamples checks those.
func liveBlock(first string) bool {
	return strings.HasPrefix(first, "$ jwtrace demo") || strings.HasPrefix(first, "$ jwtrace chain ")
}

// TestREADMELiveExamples runs the README's demo and chain blocks against
// real servers (the demo's own; for chain, the demo's authority and
// services, named by the variables demo --keep-running prints, and a token
// for api://workouts in $TOKEN) and compares the output, with what changes between
// runs (ports, times, keys, codes) made stable, with the block.
//
// Regenerate them with: go test ./cmd -run TestREADMELiveExamples -update-readme
func TestREADMELiveExamples(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// The demo's world, as demo --keep-running leaves it for a user: its
	// authority, services and variables.
	w, err := demo.Start(demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	token, err := w.Mint(map[string]any{"sub": "alice", "aud": demo.Audience, "scope": "workouts.read"})
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir("..")
	env := append([]string{"TERM=dumb", "JWTRACE_CACHE_DIR=" + t.TempDir(), "TOKEN=" + token}, w.Env()...)
	re := regexp.MustCompile("(?s)```console\n(.*?)```")
	ran := 0
	updated := re.ReplaceAllFunc(readme, func(block []byte) []byte {
		text := string(re.FindSubmatch(block)[1])
		first, want, _ := strings.Cut(text, "\n")
		if !liveBlock(first) {
			return block
		}
		ran++
		args, err := shellWords(strings.TrimPrefix(first, "$ jwtrace "))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		s := &ui.Streams{In: strings.NewReader(""), Out: &out, ErrOut: &out, Env: env, Location: time.UTC}
		if args[0] == "demo" {
			// The demo's login box goes to stderr; the README shows stdout.
			s.ErrOut = &bytes.Buffer{}
		}
		code := Run(context.Background(), s, args, time.Now)
		got := normalizeLive(out.String())
		if code != 0 {
			got += fmt.Sprintf("[exit %d]\n", code)
		}
		if got != want {
			if !*updateREADME {
				t.Errorf("README block %q differs from the real output (run go test ./cmd -run TestREADMELiveExamples -update-readme).\n--- real\n%s\n--- README\n%s", first, got, want)
			}
		}
		return []byte("```console\n" + first + "\n" + got + "```")
	})
	if ran == 0 {
		t.Fatal("no live console blocks in README.md")
	}
	if *updateREADME {
		if err := os.WriteFile("README.md", updated, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// normalizeLive replaces what changes between runs with stable values of
// the same width, so that tables stay aligned: ports, latencies, Unix
// times and their dates, key IDs, jti, masked token tails, temporary paths.
func normalizeLive(s string) string {
	ports := map[string]string{}
	s = regexp.MustCompile(`127\.0\.0\.1:(\d+)`).ReplaceAllStringFunc(s, func(m string) string {
		p := m[len("127.0.0.1:"):]
		if _, ok := ports[p]; !ok {
			ports[p] = fmt.Sprintf("%05d", 41001+len(ports))[len("00000")-len(p):]
		}
		return "127.0.0.1:" + ports[p]
	})
	// Latencies in the chain table keep their column: "1.9ms  " -> "0.4ms  ".
	s = regexp.MustCompile(`  (\d+(?:\.\d)?(?:ms|s)) +`).ReplaceAllStringFunc(s, func(m string) string {
		return "  0.4ms" + strings.Repeat(" ", len(m)-len("  0.4ms"))
	})
	s = regexp.MustCompile(`/jwtrace-demo-\d+/`).ReplaceAllString(s, "/jwtrace-demo-2716458/")
	// Times move to 2026-11-27T10:20:00Z, keeping their distances to the
	// minute (exp stays an hour after iat; the second or two between
	// approval and issue, which varies, goes).
	epochRE := regexp.MustCompile(`\b1[0-9]{9}\b`)
	dateRE := regexp.MustCompile(`\b20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z`)
	base := int64(-1)
	for _, m := range epochRE.FindAllString(s, -1) {
		if v, _ := strconv.ParseInt(m, 10, 64); base < 0 || v < base {
			base = v
		}
	}
	for _, m := range dateRE.FindAllString(s, -1) {
		if t, err := time.Parse(time.RFC3339, m); err == nil && (base < 0 || t.Unix() < base) {
			base = t.Unix()
		}
	}
	const fixed = 1795774800 // 2026-11-27T10:20:00Z
	s = epochRE.ReplaceAllStringFunc(s, func(m string) string {
		v, _ := strconv.ParseInt(m, 10, 64)
		return strconv.FormatInt(fixed+minutes(v-base), 10)
	})
	s = dateRE.ReplaceAllStringFunc(s, func(m string) string {
		t, err := time.Parse(time.RFC3339, m)
		if err != nil {
			return m
		}
		return time.Unix(fixed+minutes(t.Unix()-base), 0).UTC().Format(time.RFC3339)
	})
	s = regexp.MustCompile(`\b\d+s ago\b`).ReplaceAllString(s, "0s ago")
	// A second may pass between minting and checking: 1h becomes 59m59s.
	s = regexp.MustCompile(`(valid for|expires in) (?:\d+[hms])+`).ReplaceAllString(s, "$1 1h")
	// Key IDs: RFC 7638 thumbprints, 43 base64url characters.
	s = regexp.MustCompile(`[A-Za-z0-9_-]{43,}`).ReplaceAllStringFunc(s, func(m string) string {
		if len(m) == 43 {
			return demoKid
		}
		return m
	})
	s = regexp.MustCompile(`"jti": "[A-Za-z0-9_-]{22}"`).ReplaceAllString(s, `"jti": "`+"x7Yq2mN0pL4rT8vW1zK3aB"+`"`)
	s = regexp.MustCompile(`eyJhbGciOi…[A-Za-z0-9_-]{4}`).ReplaceAllString(s, "eyJhbGciOi…Xk9Q")
	return s
}

// minutes rounds seconds to whole minutes.
func minutes(sec int64) int64 { return (sec + 30) / 60 * 60 }

const demoKid = "mWs8APShDpCB3bSjvyPyziga6uU3et-VZ4U6wpU3zpg"
