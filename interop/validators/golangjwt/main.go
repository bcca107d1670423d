// Command golangjwt is a resource server on github.com/golang-jwt/jwt/v5
// with github.com/MicahParks/keyfunc/v3 for the JWKS (the versions in
// ../../go.mod), configured as keyfunc's README does
// (https://github.com/MicahParks/keyfunc/blob/v3.9.2/README.md) plus the
// issuer and audience options of golang-jwt's parser
// (https://github.com/golang-jwt/jwt/blob/v5.3.1/parser_option.go):
//
//	k, err := keyfunc.NewDefaultCtx(ctx, []string{jwksURI})
//	_, err = jwt.Parse(raw, k.Keyfunc, jwt.WithIssuer(issuer), jwt.WithAudience(audience))
//
// Every other setting is the libraries' default: no WithValidMethods,
// WithLeeway, WithExpirationRequired, WithIssuedAt or WithTimeFunc.
//
// It listens on 127.0.0.1 at the port given as its argument, else
// $API_PORT, else a free one, and prints its URL on stdout. GET /api with
// a bearer token jwt.Parse accepts is 200 {"ok":true}; otherwise 401
// {"error": the parser's error}.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtrace/jwtrace/interop/validators/internal/api"
)

func main() {
	cfg := api.Settings()
	if cfg.JWKSURI == "" {
		fmt.Fprintln(os.Stderr, "golangjwt: set API_JWKS_URI")
		os.Exit(2)
	}
	k, err := keyfunc.NewDefaultCtx(context.Background(), []string{cfg.JWKSURI})
	if err != nil {
		fmt.Fprintln(os.Stderr, "golangjwt:", err)
		os.Exit(1)
	}
	api.Serve(cfg, func(ctx context.Context, raw string) error {
		_, err := jwt.Parse(raw, k.Keyfunc, jwt.WithIssuer(cfg.Issuer), jwt.WithAudience(cfg.Audience))
		return err
	})
}
