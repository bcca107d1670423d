package netx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// Kind is what went wrong with a request that got no HTTP answer.
type Kind string

const (
	// KindNone: no error.
	KindNone Kind = ""
	// KindTLS: the server's certificate was not trusted (or not for its
	// name).
	KindTLS Kind = "tls"
	// KindNotTLS: an https request got a plain-http (or other non-TLS)
	// answer.
	KindNotTLS Kind = "not_tls"
	// KindRefused: nothing listens there (ECONNREFUSED).
	KindRefused Kind = "refused"
	// KindTimeout: no answer in time (a deadline, a client timeout).
	KindTimeout Kind = "timeout"
	// KindCanceled: the run was cancelled (Ctrl-C).
	KindCanceled Kind = "canceled"
	// KindDNS: the host name was not found.
	KindDNS Kind = "dns"
	// KindReset: the server reset the connection (ECONNRESET).
	KindReset Kind = "reset"
	// KindClosed: the server closed the connection before a whole answer.
	KindClosed Kind = "closed"
	// KindOther: anything else.
	KindOther Kind = "other"
)

// Classify says what kind of failure err is (an error of http.Client.Do,
// or of reading a response body). The order matters where kinds overlap:
// a certificate error is TLS even when the handshake also ran late.
func Classify(err error) Kind {
	if err == nil {
		return KindNone
	}
	err = Unwrap(err)
	var (
		certErr   *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		recErr    tls.RecordHeaderError
		dnsErr    *net.DNSError
		netErr    net.Error
	)
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalid):
		return KindTLS
	case errors.As(err, &recErr), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return KindNotTLS
	case errors.Is(err, syscall.ECONNREFUSED):
		return KindRefused
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return KindTimeout
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case errors.As(err, &dnsErr) && !dnsErr.IsTimeout:
		return KindDNS
	case errors.Is(err, syscall.ECONNRESET):
		return KindReset
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return KindClosed
	case strings.Contains(err.Error(), "certificate"):
		// A certificate problem of a kind not above (tls: failed to
		// verify certificate: ..., as Go versions word it).
		return KindTLS
	case strings.Contains(err.Error(), "connection refused"):
		return KindRefused
	}
	return KindOther
}

// Unwrap drops Go's request wrapping (Get "url": ...): the caller names
// the URL itself.
func Unwrap(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

// DNSName is the name a failed lookup was for, "" when err is not one.
func DNSName(err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.Name
	}
	return ""
}
