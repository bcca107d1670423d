// Command jwtrace inspects and debugs JWT bearer tokens: decode, verify,
// log in, and trace one token through a chain of services.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/jwtrace/jwtrace/cmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cmd.Main(ctx)
	stop()
	os.Exit(code)
}
