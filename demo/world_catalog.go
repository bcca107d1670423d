package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/jwtrace/jwtrace/demo/resource"
	"github.com/jwtrace/jwtrace/verify"
)

// The catalog service: unlike the story's services, whose audiences are
// api:// names, catalog is an RFC 8707 / RFC 9728 resource: its audience
// is its resource identifier, the URL of its /items endpoint, which its
// protected resource metadata names. A chain hop that declares no rules is
// predicted from that metadata (chain --discover), and the prediction is
// the service's real rules. It is not part of the story (World.Services);
// World.Env exports its URL as $CATALOG.
const (
	// CatalogPath is the catalog's endpoint; its URL is the resource.
	CatalogPath = "/items"
	// CatalogScope is the scope the catalog requires.
	CatalogScope = "catalog.read"
)

// catalogServer is the running catalog.
type catalogServer struct {
	srv  *http.Server
	done chan error
}

// startCatalog starts the catalog on 127.0.0.1 and sets w.Catalog. Its
// audience must be its own URL, so it listens before it is configured.
func (w *World) startCatalog(logw io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: catalog: %w", err)
	}
	url := "http://" + ln.Addr().String()
	res := url + CatalogPath
	pol := ServicePolicy(w.Authority, res)
	pol.Scopes = verify.List(CatalogScope)
	h, err := resource.New(resource.Config{Name: "catalog", Policy: pol, Resource: res, Log: logw})
	if err != nil {
		ln.Close()
		return fmt.Errorf("demo: catalog: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	c := &catalogServer{srv: srv, done: make(chan error, 1)}
	go func() { c.done <- srv.Serve(ln) }()
	w.catalog = c
	w.Catalog = Service{Name: "catalog", URL: url, Path: CatalogPath, Audience: res, Env: "CATALOG"}
	return nil
}

// close stops the catalog.
func (c *catalogServer) close() error {
	if c == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := c.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = c.srv.Close()
	}
	if serr := <-c.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
