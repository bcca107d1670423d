package verify

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
)

// The hint comes from what the failure is (netx.Classify), not from words
// anywhere in the message: a refused connection to a URL that says
// "certificate" is not a TLS problem.
func TestFetchHintFollowsTheFailureNotTheURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	f := &Fetcher{}
	_, _, _, err = f.JWKS(context.Background(), "http://"+addr+"/certificates/keys", false)
	var fe *FetchError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(fe.Hint, "nothing is listening") {
		t.Errorf("hint %q, want the refused connection's", fe.Hint)
	}
}
