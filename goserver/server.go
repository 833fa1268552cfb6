package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"time"
)

const (
	defaultMessage  = "Hi Docker, I pushed a new version!"
	defaultPort     = "8080"
	shutdownTimeout = 10 * time.Second
)

var indexTemplate = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Message}}</title>
<style>
  body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
         font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f4f6f8; color: #1d2733; }
  main { background: #fff; padding: 2.5rem 3rem; border-radius: 12px; box-shadow: 0 4px 24px rgba(0,0,0,.08); text-align: center; }
  h1 { margin: 0 0 1rem; font-size: 1.75rem; }
  p { margin: 0; color: #5b6675; }
  code { background: #eef1f4; padding: .15rem .4rem; border-radius: 4px; }
</style>
</head>
<body>
<main>
  <h1>{{.Message}}</h1>
  <p>version <code>{{.Version}}</code></p>
</main>
</body>
</html>
`))

// newHandler returns the HTTP handler for the server. The routes are
// registered for GET (which also matches HEAD); other methods get 405 with an
// Allow header and unknown paths get 404, both from http.ServeMux.
func newHandler(message, version string) http.Handler {
	var page bytes.Buffer
	if err := indexTemplate.Execute(&page, struct{ Message, Version string }{message, version}); err != nil {
		panic(err) // the template is static; this cannot fail for string data
	}
	index := page.Bytes()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		writeBody(w, "text/html; charset=utf-8", index)
	})
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		writeBody(w, "text/plain; charset=utf-8", []byte(version))
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		writeBody(w, "text/plain; charset=utf-8", []byte("ok"))
	})
	return mux
}

func writeBody(w http.ResponseWriter, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	w.Write(body) // a no-op for HEAD requests
}

// listenAddr returns the address to listen on: ":8080", or ":$PORT" when
// PORT is set. PORT must be a plain decimal number in 0..65535 (0 picks a
// free port, which is useful in tests).
func listenAddr(getenv func(string) string) (string, error) {
	p := getenv("PORT")
	if p == "" {
		return ":" + defaultPort, nil
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return "", fmt.Errorf("invalid PORT %q: want a number between 0 and 65535", p)
	}
	return ":" + strconv.FormatUint(n, 10), nil
}

// messageFrom returns $MESSAGE, or the default message when it is unset or empty.
func messageFrom(getenv func(string) string) string {
	if m := getenv("MESSAGE"); m != "" {
		return m
	}
	return defaultMessage
}

// runServer configures the server from the environment, serves until ctx is
// done and returns the process exit code.
func runServer(ctx context.Context, getenv func(string) string, stderr io.Writer) int {
	addr, err := listenAddr(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "goserver: %v\n", err)
		return 2
	}
	logger := log.New(stderr, "", log.LstdFlags)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		logger.Printf("listen: %v", err)
		return 1
	}
	if err := serve(ctx, ln, newHandler(messageFrom(getenv), version), logger, version); err != nil {
		return 1
	}
	return 0
}

// serve serves h on ln until ctx is done, then shuts down gracefully,
// waiting at most shutdownTimeout for in-flight requests. It logs one line
// at start and one at stop.
func serve(ctx context.Context, ln net.Listener, h http.Handler, logger *log.Logger, version string) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          logger,
	}

	// Report ":PORT" (the real port, also when PORT=0) since we listen on all interfaces.
	shown := ln.Addr().String()
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok {
		shown = ":" + strconv.Itoa(tcp.Port)
	}
	logger.Printf("listening on %s, version %s", shown, version)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		logger.Printf("stopped: %v", err)
		return err
	case <-ctx.Done():
	}

	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	why := context.Cause(ctx)
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		logger.Printf("stopped (%v): shutdown: %v", why, err)
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Printf("stopped (%v): %v", why, err)
		return err
	}
	logger.Printf("stopped (%v)", why)
	return nil
}
