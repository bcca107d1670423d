// Package demo starts the world jwtrace demo tells its story in: a local
// authority and three services on loopback ephemeral ports, the way a user
// token flows between microservices.
//
//	workouts     validates the token (aud api://workouts), then calls
//	             workout-log with the same token and returns both answers
//	workout-log  validates the token (aud api://workouts)
//	billing      expects aud api://billing, so it rejects the token
//	reports      should expect api://reports, but is misconfigured to
//	             accept api://workouts: it takes a token meant for another
//	             API, which its declared rules reject
//
// The authority also knows workouts and billing as confidential clients
// (secret Secret) that may exchange a token (RFC 8693) for the service
// each calls: workouts for api://billing, billing for api://reports. With
// those exchanges (ExchangeFile), billing gets a token meant for it and
// accepts it, and reports gets one meant for it and, misconfigured,
// rejects it.
//
// It does not import cobra or lipgloss; cmd narrates.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/demo/resource"
	"github.com/jwtrace/jwtrace/verify"
)

// The demo's names.
const (
	User     = "alice"
	ClientID = "jwtrace"
	Scope    = "openid workouts.read"
	// Audience is the API the demo user's token is for.
	Audience = "api://workouts"
	// BillingAudience is what billing demands.
	BillingAudience = "api://billing"
	// ReportsAudience is what reports declares (and should demand).
	ReportsAudience = "api://reports"
	// Secret is the client secret of the services that exchange tokens
	// (workouts and billing), public on purpose like the authority's
	// default one: the demo's authority lives only on loopback, for the
	// demo's run. SecretEnv is the variable the exchange file reads it
	// from.
	Secret    = "demo-service-secret"
	SecretEnv = "SERVICE_SECRET"
)

// ServicePolicy is the policy a demo service enforces: tokens of the
// authority (its keys from the authority's discovery) for aud.
func ServicePolicy(authority, aud string) verify.Policy {
	return verify.Policy{Authority: verify.Some(authority), Issuer: verify.List(authority), Audience: verify.List(aud)}
}

// World is the running authority and services.
type World struct {
	// Authority is the issuer URL.
	Authority string
	// Services are in chain order: workouts, workout-log, billing,
	// reports.
	Services []Service
	// Dir holds the chain file; it is removed by Close.
	Dir string
	// ChainFile is the path of a chain file for workouts -> billing, with
	// each hop's declared rules.
	ChainFile string
	// ExchangeFile is the same chain with exchanges: before billing and
	// reports, the service that calls it exchanges the token for one
	// meant for it, its client secret from ${SERVICE_SECRET}.
	ExchangeFile string
	// Secret is the exchanging clients' secret, as the story and Env
	// export it (the authority's is the constant Secret).
	Secret string
	// Catalog is a service whose audience is its own URL (see
	// world_catalog.go); not in Services.
	Catalog Service

	authority *authority.Authority
	stop      context.CancelFunc
	done      chan error
	servers   []*resource.Server
	catalog   *catalogServer
}

// Service is one running service.
type Service struct {
	Name, URL, Path string
	// Audience is what the service accepts; Declared what its rules in
	// the chain file say (they differ for reports).
	Audience, Declared string
	// Calls names the service it calls with the same token.
	Calls string
	// Env is the environment variable that testdata/chains/workouts.yaml
	// and the printed commands use for URL.
	Env string
	// ExchangedBy, when set, is the client (the service calling this
	// one) that exchanges the token for one for Declared before this
	// service is called, in ExchangeFile.
	ExchangedBy string
}

// Endpoint is the URL the chain sends the token to.
func (s Service) Endpoint() string { return s.URL + s.Path }

// Options tune Start.
type Options struct {
	// Log receives the authority's and the services' request logs; nil
	// discards them.
	Log io.Writer
	// Addr is the authority's listen address; default 127.0.0.1:0.
	Addr string
	// Now is the authority's clock (default time.Now): a test that runs
	// jwtrace on a stopped clock gives the authority the same one, so
	// that the tokens it issues during the run (exchanges) are not from
	// jwtrace's future.
	Now func() time.Time
}

// Start starts the authority and the services. Close stops them.
func Start(opts Options) (*World, error) {
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("demo: authority: %w", err)
	}
	// The default clients (the public jwtrace, and jwtrace-service), and
	// the two services that exchange, each only for the service it calls
	// (RFC 8693 §2.2.2: another target is invalid_target).
	clients := append(authority.DefaultClients(),
		authority.Client{ID: "workouts", Secret: Secret, ExchangeAudiences: []string{BillingAudience}},
		authority.Client{ID: "billing", Secret: Secret, ExchangeAudiences: []string{ReportsAudience}})
	a, err := authority.New(authority.Config{
		URL:         "http://" + ln.Addr().String(),
		Clients:     clients,
		AutoApprove: User,
		// x/oauth2 waits one interval before its first poll: the shortest
		// one keeps the demo quick.
		PollInterval: time.Second,
		Log:          logw,
		Now:          opts.Now,
	})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("demo: authority: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &World{Authority: a.Issuer(), Secret: Secret, authority: a, stop: cancel, done: make(chan error, 1)}
	go func() { w.done <- a.Serve(ctx, ln) }()

	start := func(name, env, aud, declared, path, downstream, calls, by string) error {
		srv, err := resource.Start(resource.Config{Name: name, Policy: ServicePolicy(w.Authority, aud), Downstream: downstream, Log: logw})
		if err != nil {
			return fmt.Errorf("demo: %s: %w", name, err)
		}
		w.servers = append(w.servers, srv)
		w.Services = append(w.Services, Service{Name: name, URL: srv.URL, Path: path, Audience: aud, Declared: declared, Calls: calls, Env: env, ExchangedBy: by})
		return nil
	}
	if err := start("workout-log", "WORKOUT_LOG", Audience, Audience, "/entries", "", "", ""); err != nil {
		w.Close()
		return nil, err
	}
	log := w.Services[0]
	for _, svc := range []struct{ name, env, aud, declared, path, downstream, calls, by string }{
		{"workouts", "WORKOUTS", Audience, Audience, "/workouts", log.Endpoint(), log.Name, ""},
		{"billing", "BILLING", BillingAudience, BillingAudience, "/plan", "", "", "workouts"},
		{"reports", "REPORTS", Audience, ReportsAudience, "/reports", "", "", "billing"},
	} {
		if err := start(svc.name, svc.env, svc.aud, svc.declared, svc.path, svc.downstream, svc.calls, svc.by); err != nil {
			w.Close()
			return nil, err
		}
	}
	// Chain order: workouts (which calls workout-log), workout-log,
	// billing, reports.
	w.Services[0], w.Services[1] = w.Services[1], w.Services[0]
	if err := w.startCatalog(logw); err != nil {
		w.Close()
		return nil, err
	}

	w.Dir, err = os.MkdirTemp("", "jwtrace-demo-")
	if err != nil {
		w.Close()
		return nil, err
	}
	w.ChainFile = filepath.Join(w.Dir, "chain.yaml")
	if err := os.WriteFile(w.ChainFile, []byte(w.chainYAML()), 0o600); err != nil {
		w.Close()
		return nil, err
	}
	w.ExchangeFile = filepath.Join(w.Dir, "exchange.yaml")
	if err := os.WriteFile(w.ExchangeFile, []byte(w.exchangeYAML()), 0o600); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// chainYAML is the chain file: every hop declares the rules it enforces.
func (w *World) chainYAML() string {
	s := "# jwtrace chain --file " + "chain.yaml: the demo's services, each with its declared rules.\n" +
		"defaults:\n  rules:\n    authority: " + w.Authority + "\n" +
		"hops:\n"
	for _, svc := range w.Services {
		s += fmt.Sprintf("  - name: %s\n    url: %s\n    rules:\n      audience: %s\n", svc.Name, svc.Endpoint(), svc.Declared)
	}
	return s
}

// exchangeYAML is the chain file with exchanges: the same hops, and
// before billing and reports the exchange their caller performs (RFC 8693
// token exchange at the demo's authority, the caller's secret from the
// environment).
func (w *World) exchangeYAML() string {
	s := "# jwtrace chain --compare --file exchange.yaml: the same services; before billing and reports,\n" +
		"# the service that calls them exchanges the token for one meant for them (RFC 8693).\n" +
		"defaults:\n  rules:\n    authority: " + w.Authority + "\n" +
		"hops:\n"
	for _, svc := range w.Services {
		s += fmt.Sprintf("  - name: %s\n    url: %s\n    rules:\n      audience: %s\n", svc.Name, svc.Endpoint(), svc.Declared)
		if svc.ExchangedBy != "" {
			s += fmt.Sprintf("    exchange:\n      mode: token-exchange\n      authority: %s\n      client_id: %s\n      client_secret: ${%s}\n      audience: %s\n",
				w.Authority, svc.ExchangedBy, SecretEnv, svc.Declared)
		}
	}
	return s
}

// Env is the environment the printed commands and
// testdata/chains/workouts.yaml use: AUTHORITY and each service's URL
// (and the exchanging services' client secret, for the exchange file and
// testdata/chains/delegation.yaml).
func (w *World) Env() []string {
	env := []string{"AUTHORITY=" + w.Authority}
	for _, svc := range w.Services {
		env = append(env, svc.Env+"="+svc.URL)
	}
	if w.Catalog.Env != "" {
		env = append(env, w.Catalog.Env+"="+w.Catalog.URL)
	}
	return append(env, SecretEnv+"="+w.Secret)
}

// Mint signs a token with the authority's key (for tests and scripts that
// skip the login): claims are added to iss, iat, exp and jti.
func (w *World) Mint(claims map[string]any) (string, error) {
	return w.authority.Mint(claims, nil)
}

// Service returns the named service.
func (w *World) Service(name string) Service {
	for _, s := range w.Services {
		if s.Name == name {
			return s
		}
	}
	return Service{}
}

// Close stops everything and removes the chain file.
func (w *World) Close() error {
	var errs []error
	for _, s := range w.servers {
		errs = append(errs, s.Close())
	}
	errs = append(errs, w.catalog.close())
	w.stop()
	errs = append(errs, <-w.done)
	if w.Dir != "" {
		errs = append(errs, os.RemoveAll(w.Dir))
	}
	return errors.Join(errs...)
}
