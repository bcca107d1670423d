// Command zitadelop runs the zitadel/oidc v3 example OpenID Provider
// (github.com/zitadel/oidc/v3/example/server/exampleop and its in-memory
// storage) for jwtrace's interop tests. Unlike the stock example binary it
// listens on 127.0.0.1 only, on a free port unless -addr names one, with the
// issuer http://127.0.0.1:PORT (no trailing slash).
//
// It prints one line on stdout once it serves: the issuer. Logs go to
// stderr. SIGTERM or SIGINT stops it.
//
// Clients:
//   - "device" (secret "secret"): the example's own storage.DeviceClient, a
//     confidential client that authenticates with HTTP Basic, with opaque
//     access tokens, as the stock example issues them.
//   - "cli": a public (native, no secret) client allowed the device grant,
//     opaque access tokens.
//   - "cli-jwt": the same with JWT access tokens.
//   - "sid1" (secret "verysecret"): the storage's client credentials service
//     user, with JWT access tokens.
//   - "web" (secret "secret"): the example's own storage.WebClient, the one
//     client of its storage allowed the token exchange grant (RFC 8693),
//     with HTTP Basic, and JWT access tokens so that an exchanged token can
//     be verified.
//
// One user: "alice", password "verysecure". The example's device pages
// make the login name the token's subject, and its storage then looks the
// subject up as a user id, so the user's id and login name are the same
// (with the example's own users, whose ids are "id1" and "id2", a device
// login that asks for openid fails with 500 "user not found").
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen `address` (loopback only)")
	flag.Parse()
	if err := run(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "zitadelop:", err)
		os.Exit(1)
	}
}

func run(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-addr %s: not a loopback address", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	issuer := "http://" + ln.Addr().String()

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	storage.RegisterClients(
		storage.DeviceClient("device", "secret"),
		storage.NativeClient("cli"),
		storage.NativeClient("cli-jwt"),
		storage.WebClient("web", "secret"),
	)
	st := &clientStorage{
		Storage: storage.NewStorage(users{}),
		jwt:     map[string]bool{"cli-jwt": true, "sid1": true, "web": true},
		device:  map[string]bool{"cli": true, "cli-jwt": true},
	}
	router := exampleop.SetupServer(issuer, st, logger, false)

	srv := &http.Server{Handler: router, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Println(issuer)
	logger.Info("zitadel example OP serving", "issuer", issuer)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// clientStorage is the example's storage with two client settings that
// its exported constructors cannot make and a real ZITADEL application
// has: JWT access tokens instead of opaque ones (the clients in jwt), and
// the device grant for a public native client (the clients in device).
type clientStorage struct {
	*storage.Storage
	jwt, device map[string]bool
}

type client struct {
	op.Client
	jwt, device bool
}

func (c client) AccessTokenType() op.AccessTokenType {
	if c.jwt {
		return op.AccessTokenTypeJWT
	}
	return c.Client.AccessTokenType()
}

func (c client) GrantTypes() []oidc.GrantType {
	g := c.Client.GrantTypes()
	if c.device && !slices.Contains(g, oidc.GrantTypeDeviceCode) {
		g = append(slices.Clip(g), oidc.GrantTypeDeviceCode)
	}
	return g
}

func (s *clientStorage) wrap(c op.Client, err error) (op.Client, error) {
	if err != nil {
		return c, err
	}
	id := c.GetID()
	if !s.jwt[id] && !s.device[id] {
		return c, nil
	}
	return client{Client: c, jwt: s.jwt[id], device: s.device[id]}, nil
}

func (s *clientStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	return s.wrap(s.Storage.GetClientByClientID(ctx, id))
}

func (s *clientStorage) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	return s.wrap(s.Storage.ClientCredentials(ctx, id, secret))
}

// users is a user store with one user, alice.
type users struct{}

var alice = &storage.User{
	ID:                "alice",
	Username:          "alice",
	Password:          "verysecure",
	FirstName:         "Alice",
	LastName:          "Example",
	Email:             "alice@example.com",
	EmailVerified:     true,
	PreferredLanguage: language.English,
}

func (users) GetUserByID(id string) *storage.User {
	if id == alice.ID {
		return alice
	}
	return nil
}

func (users) GetUserByUsername(name string) *storage.User {
	if name == alice.Username {
		return alice
	}
	return nil
}

// ExampleClientID is the client whose keys the JWT profile grant knows;
// no test uses that grant.
func (users) ExampleClientID() string { return "service" }
