// Package interop holds jwtrace's interop tests: they start real,
// independently written OpenID Providers on 127.0.0.1 (panva's oidc-provider
// under Node, and the zitadel/oidc v3 example OP) and drive the built jwtrace
// binary against them. See README.md.
package interop
