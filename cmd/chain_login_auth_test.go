package cmd

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/demo"
	"github.com/jwtrace/jwtrace/demo/resource"
)

// chain --login takes the client authentication flags login takes: a CI
// client that authenticates with a private key (private_key_jwt, RFC 7523)
// gets its token for the chain without a secret.
func TestChainLoginWithAClientKey(t *testing.T) {
	t.Parallel()
	raw, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(raw)
	keyFile := filepath.Join(t.TempDir(), "ci.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	pub, _ := jwk.Import(raw.Public())
	_ = pub.Set(jwk.KeyIDKey, "ci-1")
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	jwks, _ := json.Marshal(set)
	a := authoritytest.Start(t, authoritytest.WithConfig(func(c *authority.Config) {
		c.Clients = append(authority.DefaultClients(), authority.Client{ID: "ci", JWKS: jwks, GrantTypes: []string{authority.GrantClientCredentials}})
	}))
	srv, err := resource.Start(resource.Config{Name: "workouts", Policy: demo.ServicePolicy(a.Issuer, authority.DefaultAudience)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })

	r := chainRun(t, nil, "--login", "--grant", "client-credentials", "--authority", a.Issuer, "--client-id", "ci",
		"--client-key", keyFile, "--client-key-id", "ci-1", srv.URL+"/workouts")
	if r.code != ExitOK || !strings.Contains(r.out, "accepted") || !strings.Contains(r.errOut, "ci") {
		t.Fatalf("exit %d:\n%s%s", r.code, r.out, r.errOut)
	}
	// Without --login the flag does nothing, and says so.
	r = chainRun(t, nil, "--client-key", keyFile, srv.URL+"/workouts")
	if r.code != ExitUsage || !strings.Contains(r.errOut, "--client-key is a login flag") {
		t.Fatalf("--client-key without --login: exit %d:\n%s", r.code, r.errOut)
	}
}
