package netx

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestNewClientRefusesACACertFileWithoutPEM(t *testing.T) {
	if _, err := NewClient(Config{CACerts: []byte("not a certificate")}); !errors.Is(err, ErrNoPEM) {
		t.Fatalf("err = %v, want ErrNoPEM", err)
	}
}

func TestNewClientSetsThePolicy(t *testing.T) {
	var trace bytes.Buffer
	c, err := NewClient(Config{Timeout: 3 * time.Second, Insecure: true, Trace: &trace})
	if err != nil {
		t.Fatal(err)
	}
	if c.Timeout != 3*time.Second || c.CheckRedirect == nil {
		t.Fatalf("client %+v", c)
	}
	tr, err := Transport(Config{Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	if !tr.TLSClientConfig.InsecureSkipVerify || tr.MaxResponseHeaderBytes != MaxResponseHeaderBytes || tr.ResponseHeaderTimeout != DefaultTimeout {
		t.Errorf("transport: insecure %v, header bytes %d, header timeout %v", tr.TLSClientConfig.InsecureSkipVerify, tr.MaxResponseHeaderBytes, tr.ResponseHeaderTimeout)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.Contains(trace.String(), srv.URL) {
		t.Errorf("no trace of the request:\n%s", trace.String())
	}
}

// Loopback is never sent through a proxy: plain http is allowed there,
// and must stay on this machine.
func TestNoProxyForLoopback(t *testing.T) {
	for _, host := range []string{"127.0.0.1:8080", "localhost", "[::1]:9"} {
		u, err := proxy(&http.Request{URL: &url.URL{Scheme: "http", Host: host}})
		if u != nil || err != nil {
			t.Errorf("%s: proxy %v, %v", host, u, err)
		}
	}
}

func TestRedirectsFollowTheURLRules(t *testing.T) {
	check := CheckRedirect(false)
	to := func(raw string) *http.Request { u, _ := url.Parse(raw); return &http.Request{URL: u} }
	if err := check(to("http://example.com/"), []*http.Request{to("https://a.example/")}); err == nil || !strings.Contains(err.Error(), "redirect refused") {
		t.Errorf("plain http off the machine: %v", err)
	}
	if err := check(to("https://b.example/"), make([]*http.Request, MaxRedirects)); err == nil {
		t.Error("no limit on redirects")
	}
	if err := check(to("http://127.0.0.1:1/"), []*http.Request{to("https://a.example/")}); err != nil {
		t.Errorf("loopback: %v", err)
	}
}

func TestClassify(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	c, _ := NewClient(Config{Timeout: 200 * time.Millisecond})
	_, err = c.Get("http://" + closed + "/")
	if k := Classify(err); k != KindRefused {
		t.Errorf("refused: %s (%v)", k, err)
	}

	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hang.Close()
	_, err = c.Get(hang.URL)
	if k := Classify(err); k != KindTimeout {
		t.Errorf("timeout: %s (%v)", k, err)
	}

	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake it fails
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	_, err = c.Get(tlsSrv.URL)
	if k := Classify(err); k != KindTLS {
		t.Errorf("untrusted certificate: %s (%v)", k, err)
	}
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer plain.Close()
	_, err = c.Get(strings.Replace(plain.URL, "http://", "https://", 1))
	if k := Classify(err); k != KindNotTLS {
		t.Errorf("plain http at https: %s (%v)", k, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", plain.URL, nil)
	_, err = c.Do(req)
	if k := Classify(err); k != KindCanceled {
		t.Errorf("cancelled: %s (%v)", k, err)
	}
	for err, want := range map[error]Kind{
		nil: KindNone,
		&net.DNSError{Name: "x.invalid", IsNotFound: true}: KindDNS,
		io.ErrUnexpectedEOF:          KindClosed,
		errors.New("something else"): KindOther,
	} {
		if err == nil {
			if k := Classify(nil); k != want {
				t.Errorf("nil: %s", k)
			}
			continue
		}
		if k := Classify(&url.Error{Op: "Get", URL: "https://certificate.example/", Err: err}); k != want {
			t.Errorf("%v: %s, want %s", err, k, want)
		}
	}
}
