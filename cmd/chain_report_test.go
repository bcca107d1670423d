package cmd

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/chain"
)

// junitDoc is what the tests read of a JUnit file.
type junitDoc struct {
	Name     string `xml:"name,attr"`
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Cases    []struct {
		Name       string `xml:"name,attr"`
		Properties []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Failure *struct {
			Message string `xml:"message,attr"`
			Type    string `xml:"type,attr"`
		} `xml:"failure"`
	} `xml:"testcase"`
}

func readJUnit(t *testing.T, path string) junitDoc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d junitDoc
	if err := xml.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
	return d
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// chain --junit and --html write their files (0644, the token masked)
// besides the terminal report, which is unchanged, and keep the exit
// status.
func TestChainJUnitAndHTMLReports(t *testing.T) {
	t.Parallel()
	w := newChainWorld(t)
	dir := t.TempDir()
	junit, page := filepath.Join(dir, "chain.xml"), filepath.Join(dir, "chain.html")
	env := []string{"JWTRACE_TOKEN=" + w.token}
	r := chainRun(t, env, "--junit", junit, "--html", page, "--rule", "authority="+w.authority, "--rule", "audience=api://workouts",
		w.workouts+"/workouts", w.billing+"/plan")
	if r.code != ExitRejected || !strings.Contains(r.out, "1 of 2 hops accepted the token") {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	d := readJUnit(t, junit)
	if d.Name != "jwtrace chain" || d.Tests != 2 || d.Failures != 1 || len(d.Cases) != 2 {
		t.Fatalf("%+v", d)
	}
	if f := d.Cases[1].Failure; f == nil || f.Type != "rejected" || !strings.Contains(f.Message, "hop 2 rejected") || !strings.Contains(f.Message, "cause: aud") {
		t.Errorf("hop 2: %+v", d.Cases[1])
	}
	// Both hops declare api://workouts (--rule): billing's rejection
	// disagrees with the prediction, a property of each test case.
	props := map[string]string{}
	for _, c := range d.Cases {
		for _, p := range c.Properties {
			props[c.Name[:5]+" "+p.Name] = p.Value
		}
	}
	if props["hop 1 prediction"] != "accept" || props["hop 2 prediction"] != "accept" || props["hop 2 agrees"] != "false" || props["hop 2 cause"] != "aud" {
		t.Errorf("the predictions are not properties: %q", props)
	}
	if f := d.Cases[1].Failure; f == nil || !strings.Contains(f.Message, "DISAGREES") {
		t.Errorf("hop 2's failure does not say it disagrees: %+v", f)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"default-src 'none'", "<svg", chain.Mask(w.token), "hop 2"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("the HTML report lacks %q", want)
		}
	}
	for _, p := range []string{junit, page} {
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), w.token) {
			t.Errorf("%s holds the token", p)
		}
		if m := fileMode(t, p); m != 0o644 {
			t.Errorf("%s: mode %o, want 644", p, m)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("the directory holds %d files (a temporary file left?)", len(entries))
	}
	// With --json: stdout is still one JSON object.
	r = chainRun(t, env, "--json", "--junit", junit, w.workouts+"/workouts")
	var obj map[string]any
	if r.code != ExitOK || json.Unmarshal([]byte(r.out), &obj) != nil {
		t.Fatalf("--json --junit: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if d := readJUnit(t, junit); d.Tests != 1 || d.Failures != 0 {
		t.Errorf("the JUnit file was not replaced: %+v", d)
	}
}

// --show-token puts the whole token in the reports, as in the terminal.
func TestChainHTMLReportShowToken(t *testing.T) {
	t.Parallel()
	w := newChainWorld(t)
	page := filepath.Join(t.TempDir(), "chain.html")
	r := chainRun(t, []string{"JWTRACE_TOKEN=" + w.token}, "--show-token", "--html", page, w.workouts+"/workouts")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if b, _ := os.ReadFile(page); !strings.Contains(string(b), w.token) {
		t.Error("--show-token: the HTML report does not show the token")
	}
}

// A report file that cannot be written is exit 1 with a message naming
// the flag and the file; a directory is never replaced.
func TestChainReportFileErrors(t *testing.T) {
	t.Parallel()
	w := newChainWorld(t)
	dir := t.TempDir()
	env := []string{"JWTRACE_TOKEN=" + w.token}
	r := chainRun(t, env, "--junit", dir, w.workouts+"/workouts")
	if r.code != ExitRejected || !strings.Contains(r.errOut, "--junit "+dir+": is a directory") {
		t.Errorf("a directory: exit %d\n%s", r.code, r.errOut)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatal("the directory was replaced")
	}
	missing := filepath.Join(dir, "no", "such", "dir", "r.html")
	r = chainRun(t, env, "--html", missing, w.workouts+"/workouts")
	if r.code != ExitRejected || !strings.Contains(r.errOut, "--html "+missing+": the directory") || !strings.Contains(r.errOut, "does not exist") {
		t.Errorf("a missing directory: exit %d\n%s", r.code, r.errOut)
	}
	if !strings.Contains(r.out, "1 of 1 hop accepted the token") {
		t.Errorf("the terminal report is not written first:\n%s", r.out)
	}
}

// --annotate writes workflow commands to stderr in GitHub Actions (stdout
// stays the report), and says it writes none elsewhere.
func TestChainAnnotate(t *testing.T) {
	t.Parallel()
	w := newChainWorld(t)
	env := []string{"JWTRACE_TOKEN=" + w.token, "GITHUB_ACTIONS=true"}
	r := chainRun(t, env, "--annotate", "--json", "--rule", "authority="+w.authority, "--rule", "audience=api://workouts",
		w.workouts+"/workouts", w.billing+"/plan")
	var obj map[string]any
	if r.code != ExitRejected || json.Unmarshal([]byte(r.out), &obj) != nil {
		t.Fatalf("exit %d, stdout is not the JSON report:\n%s%s", r.code, r.out, r.errOut)
	}
	var cmds []string
	for _, l := range strings.Split(r.errOut, "\n") {
		if strings.HasPrefix(l, "::") {
			cmds = append(cmds, l)
		}
	}
	if len(cmds) != 1 || !strings.HasPrefix(cmds[0], "::error title=jwtrace chain%3A hop 2 rejected%3A invalid_token::hop 2 rejected") || !strings.Contains(cmds[0], "cause: aud") {
		t.Errorf("workflow commands %q", cmds)
	}
	if strings.Contains(r.errOut, w.token) {
		t.Error("an annotation holds the token")
	}

	r = chainRun(t, []string{"JWTRACE_TOKEN=" + w.token}, "--annotate", w.billing+"/plan")
	if r.code != ExitRejected || strings.Contains(r.errOut, "::error") || !strings.Contains(r.errOut, "note: --annotate writes GitHub Actions workflow commands only when GITHUB_ACTIONS=true") {
		t.Errorf("outside GitHub Actions: exit %d\n%s", r.code, r.errOut)
	}
}

// verify --batch --junit writes one test case per token; --junit without
// --batch is a usage error.
func TestVerifyBatchJUnit(t *testing.T) {
	t.Parallel()
	access := strings.TrimSpace(testdataFile(t, "access.jwt"))
	junit := filepath.Join(t.TempDir(), "tokens.xml")
	s := verifyEnv(t)
	s.In = strings.NewReader(access + "\ngarbage\n")
	args := []string{"verify", "--at", "2026-11-27T10:30:00Z", "--key", "../testdata/keys/jwks.json",
		"--issuer", "https://login.microsoftonline.com/{tenantid}/v2.0", "--audience", "api://workouts", "--junit", junit}
	r := jwtrace(t, context.Background(), s, append(args, "--batch")...)
	if r.code != ExitRejected || strings.Count(r.out, "\n") != 2 {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	d := readJUnit(t, junit)
	if d.Name != "jwtrace verify" || d.Tests != 2 || d.Failures != 1 || d.Cases[0].Name != "line 1" || d.Cases[1].Name != "line 2" || d.Cases[1].Failure == nil || d.Cases[1].Failure.Message == "" {
		t.Errorf("%+v", d)
	}
	if m := fileMode(t, junit); m != 0o644 {
		t.Errorf("mode %o", m)
	}

	s = verifyEnv(t)
	r = jwtrace(t, context.Background(), s, append(args, access)...)
	if r.code != ExitUsage || !strings.Contains(r.errOut, "--junit writes the results of --batch") {
		t.Errorf("--junit without --batch: exit %d\n%s", r.code, r.errOut)
	}
}
