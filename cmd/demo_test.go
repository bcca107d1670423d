package cmd

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/internal/ui"
)

func demoRun(t *testing.T, ctx context.Context, errOut *syncBuffer, args ...string) run {
	t.Helper()
	var out strings.Builder
	if errOut == nil {
		errOut = &syncBuffer{}
	}
	s := &ui.Streams{Env: []string{"TERM=dumb", "JWTRACE_CACHE_DIR=" + t.TempDir()}, Out: &out, ErrOut: errOut, In: strings.NewReader("")}
	code := Run(ctx, s, append([]string{"demo"}, args...), time.Now)
	return run{code, out.String(), errOut.String()}
}

// The whole story runs, offline, in a few seconds, and exits 0.
func TestDemo(t *testing.T) {
	start := time.Now()
	r := demoRun(t, context.Background(), nil)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the demo took %s", d)
	}
	for _, want := range []string{
		`(?m)^  workouts     http://127\.0\.0\.1:\d+/workouts  accepts aud api://workouts, then calls workout-log with the same token$`,
		`(?m)^── 1/4  Log in with the device flow`,
		`(?m)^\$ TOKEN=\$\(jwtrace login --no-browser --authority http://127\.0\.0\.1:\d+ --client-id jwtrace --scope 'openid workouts\.read' --audience api://workouts\)$`,
		`(?m)^\$ jwtrace decode "\$TOKEN"$`,
		`(?m)^    "sub": "alice",$`,
		`(?m)^VALID: 8 checks passed$`,
		`(?m)^ +3  billing +GET http://127\.0\.0\.1:\d+/plan +401 .* rejected: invalid_token +reject  ✓$`,
		`(?m)^ +cause: aud · token aud \[api://workouts\] has none of: api://billing \(hop 3's declared rules\)$`,
		`(?m)^2 of 3 hops accepted the token; hop 3 \(billing\) rejected it`,
		`(?m)^\$ jwtrace chain --token-env TOKEN --file chain\.yaml$`,
	} {
		if !regexp.MustCompile(want).MatchString(r.out) {
			t.Errorf("stdout lacks %s", want)
		}
	}
	if !strings.Contains(r.errOut, "Signed in as alice@example.com · aud api://workouts") {
		t.Errorf("stderr lacks the login summary:\n%s", r.errOut)
	}
	// The token is never printed whole: decode shows its parts, chain
	// masks it.
	if regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`).MatchString(r.out + r.errOut) {
		t.Error("the demo printed a whole token")
	}
}

func TestDemoJSON(t *testing.T) {
	r := demoRun(t, context.Background(), nil, "--json")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	var got struct {
		OK        bool              `json:"ok"`
		Authority string            `json:"authority"`
		Services  map[string]string `json:"services"`
		Steps     []demoStep        `json:"steps"`
	}
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatalf("%v\n%s", err, r.out)
	}
	if !got.OK || len(got.Steps) != 4 || len(got.Services) != 3 || !strings.HasPrefix(got.Authority, "http://127.0.0.1:") {
		t.Fatalf("%+v", got)
	}
	for i, name := range []string{"login", "decode", "verify", "chain"} {
		st := got.Steps[i]
		if st.Name != name || !st.OK {
			t.Errorf("step %d = %+v", i, st)
		}
	}
	if got.Steps[3].Exit != ExitRejected {
		t.Errorf("chain step exit %d: billing's rejection is part of the story", got.Steps[3].Exit)
	}
}

// --keep-running leaves the servers up until Ctrl-C, and says where they
// are.
func TestDemoKeepRunning(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errOut := &syncBuffer{}
	done := make(chan run, 1)
	go func() { done <- demoRun(t, ctx, errOut, "--keep-running") }()
	var authority string
	deadline := time.Now().Add(10 * time.Second)
	for authority == "" && time.Now().Before(deadline) {
		if m := regexp.MustCompile(`(?m)^  authority    (http://127\.0\.0\.1:\d+)$`).FindStringSubmatch(errOut.String()); m != nil {
			authority = m[1]
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if authority == "" {
		cancel()
		t.Fatalf("no authority URL printed:\n%s", errOut.String())
	}
	resp, err := http.Get(authority + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("discovery: %d", resp.StatusCode)
	}
	if !strings.Contains(errOut.String(), "jwtrace chain --token-env TOKEN --file /") {
		t.Errorf("no chain command:\n%s", errOut.String())
	}
	cancel()
	r := <-done
	if r.code != ExitOK {
		t.Errorf("exit %d after Ctrl-C", r.code)
	}
	if _, err := http.Get(authority + "/.well-known/openid-configuration"); err == nil {
		t.Error("the authority still answers after the demo ended")
	}
}

// syncBuffer is a strings.Builder safe for a writer and a reader in two
// goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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
