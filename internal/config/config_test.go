package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `# jwtrace profiles
default: dev
profiles:
  dev:
    authority: http://127.0.0.1:9400
    client_id: jwtrace
    scopes: [openid, workouts.read]
    audience: api://workouts
  prod:
    authority: https://login.microsoftonline.com/tenant/v2.0
    client_id: 00000000-0000-0000-0000-000000000001
    issuer: https://login.microsoftonline.com/{tenantid}/v2.0
`

func env(kv ...string) func(string) string {
	return func(k string) string {
		for _, e := range kv {
			if name, v, _ := strings.Cut(e, "="); name == k {
				return v
			}
		}
		return ""
	}
}

func TestParseReadsProfiles(t *testing.T) {
	f, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.Names(), ","); got != "dev,prod" {
		t.Errorf("names %q", got)
	}
	if p := f.Profiles["dev"]; p.ClientID != "jwtrace" || len(p.Scopes) != 2 || p.Audience != "api://workouts" {
		t.Errorf("dev %+v", p)
	}
}

func TestParseRefusesWhatItCannotMeanOrCannotAfford(t *testing.T) {
	deep := "profiles:\n  a:\n    scopes: " + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\n"
	indented := "profiles:\n" + strings.Repeat(" ", 40) + "a: {}\n"
	for _, tt := range []struct{ name, yaml, want string }{
		{"an unknown key", "profiles:\n  dev:\n    client_secret: s3cr3t\n", "client_secret"},
		{"a duplicate key", "profiles:\n  dev:\n    authority: https://a.example\n    authority: https://b.example\n", "already defined"},
		{"an alias", "profiles:\n  dev: &d\n    authority: https://a.example\n  prod: *d\n", "anchors and aliases"},
		{"a default with no profile", "default: nope\nprofiles:\n  dev: {}\n", `no profile "nope"`},
		{"an authority that is not a URL", "profiles:\n  dev:\n    authority: 127.0.0.1:9400\n", "want an https:// URL"},
		{"an empty scope", "profiles:\n  dev:\n    scopes: [\"\"]\n", "an empty scope"},
		{"deep nesting", deep, "brackets"},
		{"deep indentation", indented, "indented 40 columns"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want it to say %q", err, tt.want)
			}
		})
	}
}

func TestReadRefusesAFileOthersCanWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if _, ok, err := Read(path); ok || err != nil {
		t.Fatalf("a missing file: exists %v, err %v", ok, err)
	}
	if err := os.WriteFile(path, []byte(sample), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := Read(path); !ok || err != nil {
		t.Fatalf("a private file: exists %v, err %v", ok, err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Read(path); err == nil || !strings.Contains(err.Error(), "chmod go-w") {
		t.Fatalf("a file others can write: err %v", err)
	}
	if os.Getuid() != 0 {
		t.Skip("the owned-by-another-user case needs root to chown")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Read(path); err == nil || !strings.Contains(err.Error(), "belongs to another user") {
		t.Fatalf("another user's file: err %v", err)
	}
}

func TestPath(t *testing.T) {
	noDir := func() (string, error) { return "/home/u/.config", nil }
	for _, tt := range []struct {
		env  func(string) string
		want string
	}{
		{env("JWTRACE_CONFIG=/etc/x.yaml", "XDG_CONFIG_HOME=/xdg"), "/etc/x.yaml"},
		{env("XDG_CONFIG_HOME=/xdg"), "/xdg/jwtrace/config.yaml"},
		{env("XDG_CONFIG_HOME=relative"), "/home/u/.config/jwtrace/config.yaml"},
		{env(), "/home/u/.config/jwtrace/config.yaml"},
	} {
		if got, _ := Path(tt.env, noDir); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestFlagsBeatTheEnvironmentWhichBeatsTheProfile(t *testing.T) {
	f, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	name, why, err := f.Selected("", "")
	if name != "dev" || why != "the file's default" || err != nil {
		t.Fatalf("selected %q %q %v", name, why, err)
	}
	if name, why, _ = f.Selected("prod", "dev"); name != "prod" || why != "--profile" {
		t.Fatalf("--profile: %q %q", name, why)
	}
	if name, why, _ = f.Selected("", "prod"); name != "prod" || why != "$JWTRACE_PROFILE" {
		t.Fatalf("$JWTRACE_PROFILE: %q %q", name, why)
	}
	if _, _, err = f.Selected("nope", ""); err == nil || !strings.Contains(err.Error(), "profiles: dev, prod") {
		t.Fatalf("unknown profile: %v", err)
	}
	got := map[string]Setting{}
	for _, s := range f.Resolve("dev", map[string]string{"client-id": "cli"}, env("JWTRACE_AUDIENCE=api://env")) {
		got[s.Key] = s
	}
	for key, want := range map[string]Setting{
		"client_id": {Value: "cli", Source: FromFlag, From: "--client-id"},
		"audience":  {Value: "api://env", Source: FromEnv, From: "$JWTRACE_AUDIENCE"},
		"authority": {Value: "http://127.0.0.1:9400", Source: FromProfile, From: "profile dev"},
		"scopes":    {Value: "openid workouts.read", Source: FromProfile, From: "profile dev"},
		"issuer":    {},
	} {
		g := got[key]
		if g.Value != want.Value || g.Source != want.Source || g.From != want.From {
			t.Errorf("%s: got %+v, want %+v", key, g, want)
		}
	}
}
