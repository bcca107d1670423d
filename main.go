// Command jwtrace inspects and debugs JWT bearer tokens: decode, verify,
// log in, and trace one token through a chain of services.
package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/jwtrace/jwtrace/cmd"
)

func main() {
	ctx := newSignalContext()
	if !local(os.Args[1:]) {
		// A command that may wait installs the handler before it says
		// "Press Ctrl-C", so that a signal right after is caught.
		ctx.Done()
	}
	code := cmd.Main(ctx)
	ctx.stop()
	os.Exit(code)
}

// local reports whether the command line runs a command that never waits
// (it reads its input, computes, prints): those install the signal handler
// only if something does wait after all.
func local(args []string) bool {
	if len(args) == 0 {
		return true
	}
	switch args[0] {
	case "decode", "version", "--version", "validators", "mint", "completion", "__complete", "__completeNoDesc", "help", "--help", "-h":
		return true
	}
	return false
}

// signalContext is cancelled by Ctrl-C (SIGINT) or SIGTERM, so that a
// command that waits (a login polling, an authority serving, the demo's
// temporary directory) stops, cleans up and exits 130.
//
// For the commands that never wait (local), the handler is installed the
// first time something waits on the context after all (Done: a request,
// a timeout or a cancel derived from it asks for it): signal.Notify
// starts the runtime's signal-handling thread, and decode would pay for
// it at every start. A signal before then ends the process the default
// way; such a command has nothing to clean up.
type signalContext struct {
	context.Context
	cancel context.CancelFunc
	once   sync.Once
	mu     sync.Mutex
	ch     chan os.Signal
}

func newSignalContext() *signalContext {
	ctx, cancel := context.WithCancel(context.Background())
	return &signalContext{Context: ctx, cancel: cancel}
}

func (c *signalContext) Done() <-chan struct{} {
	c.once.Do(func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		c.mu.Lock()
		c.ch = ch
		c.mu.Unlock()
		go func() {
			select {
			case <-ch:
				c.cancel()
			case <-c.Context.Done():
			}
		}()
	})
	return c.Context.Done()
}

// stop uninstalls the handler and releases the context.
func (c *signalContext) stop() {
	c.mu.Lock()
	if c.ch != nil {
		signal.Stop(c.ch)
	}
	c.mu.Unlock()
	c.cancel()
}
