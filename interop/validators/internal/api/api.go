// Package api is what the Go validator servers share: their settings from
// the environment and the HTTP server around the library's verify call.
package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// Config is a server's settings: $API_ISSUER, $API_AUDIENCE, $API_JWKS_URI
// (where the library takes a JWKS location rather than the issuer's
// discovery), and the port (the first argument, else $API_PORT, else 0 for
// a free one).
type Config struct {
	Issuer, Audience, JWKSURI, Port string
}

// Settings reads Config, and exits with a message when a setting is
// missing.
func Settings() Config {
	c := Config{Issuer: os.Getenv("API_ISSUER"), Audience: os.Getenv("API_AUDIENCE"), JWKSURI: os.Getenv("API_JWKS_URI"), Port: os.Getenv("API_PORT")}
	if len(os.Args) > 1 {
		c.Port = os.Args[1]
	}
	if c.Port == "" {
		c.Port = "0"
	}
	if c.Issuer == "" || c.Audience == "" {
		fmt.Fprintf(os.Stderr, "%s: set API_ISSUER and API_AUDIENCE\n", os.Args[0])
		os.Exit(2)
	}
	return c
}

// Serve listens on 127.0.0.1, prints its URL on stdout, and answers GET
// /api: 200 {"ok":true} when verify accepts the bearer token, else 401
// {"error": verify's error} (no WWW-Authenticate: the libraries leave the
// answer to the application, and this one writes none).
func Serve(c Config, verify func(ctx context.Context, raw string) error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", c.Port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api", func(w http.ResponseWriter, r *http.Request) {
		raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || raw == "" {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "no bearer token"})
			return
		}
		if err := verify(r.Context(), raw); err != nil {
			fmt.Fprintln(os.Stderr, "refused:", err)
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	})
	fmt.Printf("http://%s\n", ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
