// Command gooidc is a resource server on github.com/coreos/go-oidc/v3 (the
// version in ../../go.mod), configured as the library's README does
// (https://github.com/coreos/go-oidc/blob/v3.21.0/README.md):
//
//	provider, err := oidc.NewProvider(ctx, issuer)
//	verifier := provider.Verifier(&oidc.Config{ClientID: audience})
//	_, err = verifier.Verify(ctx, rawToken)
//
// NewProvider reads the issuer's discovery document (jwks_uri, and
// id_token_signing_alg_values_supported for the algorithms); every other
// setting is the library's default (no SkipClientIDCheck, SkipExpiryCheck,
// SkipIssuerCheck, Now or SupportedSigningAlgs).
//
// It listens on 127.0.0.1 at the port given as its argument, else
// $API_PORT, else a free one, and prints its URL on stdout. GET /api with
// a bearer token Verify accepts is 200 {"ok":true}; otherwise 401
// {"error": Verify's error}.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/jwtrace/jwtrace/interop/validators/internal/api"
)

func main() {
	cfg := api.Settings()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	provider, err := oidc.NewProvider(ctx, cfg.Issuer)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gooidc:", err)
		os.Exit(1)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: cfg.Audience})
	api.Serve(cfg, func(ctx context.Context, raw string) error {
		_, err := verifier.Verify(ctx, raw)
		return err
	})
}
