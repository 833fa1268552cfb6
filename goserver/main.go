// Command goserver is a tiny sample web server. The same binary also has a
// "probe" mode so a scratch image can smoke-test and health-check itself
// without curl:
//
//	goserver                       # serve on :8080 (or $PORT)
//	goserver probe URL [flags]     # GET URL, exit 0 on success
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
// It must stay a variable: -X silently ignores constants.
var version = "dev"

const usage = "usage: goserver              (serve on :8080, env PORT, MESSAGE)\n" +
	"       goserver probe URL [--expect TEXT] [--exact] [--timeout 5s] [--retries N] [--interval 500ms]"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// Once the first signal has been seen, restore the default behaviour so
	// a second signal kills the process even if shutdown hangs.
	go func() { <-ctx.Done(); stop() }()

	code := 0
	switch {
	case len(os.Args) > 1 && os.Args[1] == "probe":
		code = runProbe(ctx, os.Args[2:], os.Stdout, os.Stderr)
	case len(os.Args) > 1 && (os.Args[1] == "-h" || os.Args[1] == "-help" || os.Args[1] == "--help"):
		fmt.Fprintln(os.Stdout, usage)
	case len(os.Args) > 1:
		fmt.Fprintf(os.Stderr, "goserver: unexpected argument %q\n%s\n", os.Args[1], usage)
		code = 2
	default:
		code = runServer(ctx, os.Getenv, os.Stderr)
	}
	stop()
	os.Exit(code)
}
