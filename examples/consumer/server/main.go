// Command hello is the consumer example's own web server. It is not a copy of
// go-publish's goserver: it only has what go-publish needs from a server to
// build, test and smoke-test it:
//
//	hello                                  serve on :8080 (or $PORT): / and /version
//	hello probe URL [--expect TEXT] [--exact] [--timeout D] [--retries N] [--interval D]
//
// The probe mode lets go-publish smoke-test the scratch image with the image's
// own binary, since scratch has no curl.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Message is what GET / answers; the consumer module gives it to go-publish's smoke test.
const Message = "Hello from the consumer example!"

func handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, Message)
	})
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, version)
	})
	return mux
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "probe" {
		os.Exit(probe(os.Args[2:], os.Stderr))
	}
	addr := ":8080"
	if port := os.Getenv("PORT"); port != "" {
		addr = ":" + port
	}
	server := &http.Server{Addr: addr, Handler: handler(), ReadHeaderTimeout: 5 * time.Second}
	if err := server.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "hello:", err)
		os.Exit(1)
	}
}

// probe GETs a URL until it answers 200 (and the body matches --expect), and
// returns the exit code: 0 success, 1 failure, 2 bad usage.
func probe(args []string, stderr io.Writer) int {
	if len(args) < 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "usage: hello probe URL [--expect TEXT] [--exact] [--timeout D] [--retries N] [--interval D]")
		return 2
	}
	flags := flag.NewFlagSet("probe", flag.ContinueOnError)
	flags.SetOutput(stderr)
	expect := flags.String("expect", "", "text the body must contain")
	exact := flags.Bool("exact", false, "the body (without surrounding space) must equal --expect")
	timeout := flags.Duration("timeout", 5*time.Second, "limit for each request")
	retries := flags.Int("retries", 0, "attempts after the first one")
	interval := flags.Duration("interval", 500*time.Millisecond, "pause between attempts")
	if err := flags.Parse(args[1:]); err != nil {
		return 2
	}
	client := &http.Client{Timeout: *timeout}
	var err error
	for attempt := 0; attempt <= *retries; attempt++ {
		if attempt > 0 {
			time.Sleep(*interval)
		}
		if err = check(client, args[0], *expect, *exact); err == nil {
			return 0
		}
	}
	fmt.Fprintln(stderr, "probe:", err)
	return 1
}

func check(client *http.Client, url, expect string, exact bool) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	text := strings.TrimSpace(string(body))
	switch {
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	case exact && text != expect:
		return fmt.Errorf("GET %s: body %q, want exactly %q", url, text, expect)
	case !exact && !strings.Contains(text, expect):
		return fmt.Errorf("GET %s: body %q does not contain %q", url, text, expect)
	}
	return nil
}
