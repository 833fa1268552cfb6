package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// probe runs runProbe and returns its exit code, stdout and stderr.
func probe(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runProbe(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// wantOneLine fails unless s is exactly one line containing all of subs.
func wantOneLine(t *testing.T, s string, subs ...string) {
	t.Helper()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Errorf("stderr is not exactly one line: %q", s)
	}
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("stderr %q does not contain %q", s, sub)
		}
	}
}

// countingServer serves h and counts requests.
func countingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestProbeOK(t *testing.T) {
	srv := httptest.NewServer(newHandler("Hello there", "0.2.0"))
	defer srv.Close()

	for _, args := range [][]string{
		{srv.URL + "/healthz"},
		{srv.URL + "/"},
		{srv.URL + "/", "--expect", "Hello there"},
		{srv.URL + "/version", "--expect", "0.2"},
		{srv.URL + "/version", "--expect", "0.2.0", "--exact"},
		{"--exact", "--expect=0.2.0", srv.URL + "/version"},                      // flags first
		{"--expect", "0.2.0", srv.URL + "/version", "--exact", "-timeout", "1s"}, // mixed
		{srv.URL + "/healthz", "--expect", "", "--exact=false"},
	} {
		code, stdout, stderr := probe(t, args...)
		if code != 0 {
			t.Errorf("probe %q: exit %d, stderr %q", args, code, stderr)
		}
		if !strings.Contains(stdout, "ok") {
			t.Errorf("probe %q: stdout %q", args, stdout)
		}
	}
}

func TestProbeExpectMismatch(t *testing.T) {
	srv, n := countingServer(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello world")) })
	code, _, stderr := probe(t, srv.URL+"/x", "--expect", "goodbye", "--retries", "3", "--interval", "10ms")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	wantOneLine(t, stderr, "probe: GET "+srv.URL+"/x: ", `body does not contain "goodbye"`, `"hello world"`)
	if got := n.Load(); got != 1 {
		t.Errorf("server saw %d requests; a wrong body after a 200 must not be retried", got)
	}
}

func TestProbeExactMismatch(t *testing.T) {
	srv := httptest.NewServer(newHandler("m", "0.1.0"))
	defer srv.Close()
	// "0.1.0" contains "0.1" but is not exactly "0.1".
	code, _, stderr := probe(t, srv.URL+"/version", "--expect", "0.1", "--exact")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	wantOneLine(t, stderr, "probe: GET "+srv.URL+`/version: body is "0.1.0", want exactly "0.1"`)

	code, _, stderr = probe(t, srv.URL+"/version", "--expect", "0.2.0", "--exact")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	wantOneLine(t, stderr, `body is "0.1.0", want exactly "0.2.0"`)
}

func TestProbeTruncatesLongBodies(t *testing.T) {
	long := strings.Repeat("x", 5000) + "\nsecond line"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(long)) }))
	defer srv.Close()
	code, _, stderr := probe(t, srv.URL, "--expect", "nope")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	wantOneLine(t, stderr, "(5012 bytes)")
	if len(stderr) > 300 {
		t.Errorf("message not truncated (%d bytes): %q", len(stderr), stderr)
	}
}

func TestProbeStatus500(t *testing.T) {
	srv, n := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	code, _, stderr := probe(t, srv.URL+"/version")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	wantOneLine(t, stderr, "probe: GET "+srv.URL+"/version: got status 500, want 200")
	if strings.Contains(stderr, "attempts") {
		t.Errorf("single attempt should not mention attempts: %q", stderr)
	}

	// Non-200 statuses are retried.
	n.Store(0)
	code, _, stderr = probe(t, srv.URL+"/version", "--retries", "2", "--interval", "1ms")
	if code != 1 || n.Load() != 3 {
		t.Fatalf("exit %d after %d requests, want exit 1 after 3", code, n.Load())
	}
	wantOneLine(t, stderr, "got status 500, want 200 (after 3 attempts)")
}

func TestProbeTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer srv.Close()

	start := time.Now()
	code, _, stderr := probe(t, srv.URL, "--timeout", "100ms")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("probe took %v with --timeout 100ms", d)
	}
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	wantOneLine(t, stderr, "probe: GET "+srv.URL+": no response within 100ms")
}

func TestProbeClosedPort(t *testing.T) {
	addr := freeAddr(t)
	start := time.Now()
	code, _, stderr := probe(t, "http://"+addr+"/healthz", "--retries", "2", "--interval", "10ms")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	wantOneLine(t, stderr, "probe: GET http://"+addr+"/healthz: ", "refused", "(after 3 attempts)")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestProbeRetriesUntilServerStarts(t *testing.T) {
	addr := freeAddr(t)
	started := make(chan *http.Server, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			started <- nil
			return
		}
		srv := &http.Server{Handler: newHandler("m", "late")}
		started <- srv
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		if srv := <-started; srv != nil {
			srv.Close()
		}
	})

	// Without retries the first attempt is refused.
	if code, _, _ := probe(t, "http://"+addr+"/version"); code != 1 {
		t.Fatalf("probe before start: exit %d, want 1", code)
	}
	code, _, stderr := probe(t, "http://"+addr+"/version", "--expect", "late", "--exact", "--retries", "40", "--interval", "25ms")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestProbeCancelledContext(t *testing.T) {
	addr := freeAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := runProbe(ctx, []string{"http://" + addr, "--retries", "1000", "--interval", "20ms"}, &stdout, &stderr)
	if code != 1 || time.Since(start) > 2*time.Second {
		t.Fatalf("exit %d after %v, want 1 promptly", code, time.Since(start))
	}
	wantOneLine(t, stderr.String(), "probe: GET http://"+addr)
}

func TestProbeUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "missing URL"},
		{[]string{"--expect", "x"}, "missing URL"},
		{[]string{"http://a/", "http://b/"}, "expected one URL"},
		{[]string{"http://a/", "--bogus"}, "flag provided but not defined"},
		{[]string{"http://a/", "--timeout"}, "flag needs an argument"},
		{[]string{"http://a/", "--timeout", "soon"}, "invalid value"},
		{[]string{"http://a/", "--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"http://a/", "--retries", "-1"}, "--retries must not be negative"},
		{[]string{"http://a/", "--retries", "x"}, "invalid value"},
		{[]string{"http://a/", "--interval", "-1s"}, "--interval must not be negative"},
		{[]string{"http://a/", "--exact"}, "--exact needs --expect"},
		{[]string{"localhost:8080/version"}, "invalid URL"},
		{[]string{"ftp://a/"}, "invalid URL"},
		{[]string{"http://"}, "invalid URL"},
	}
	for _, tt := range tests {
		code, stdout, stderr := probe(t, tt.args...)
		if code != 2 {
			t.Errorf("probe %q: exit %d, want 2", tt.args, code)
		}
		if stdout != "" {
			t.Errorf("probe %q: unexpected stdout %q", tt.args, stdout)
		}
		if !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "usage: goserver probe URL") {
			t.Errorf("probe %q: stderr %q, want %q and a usage line", tt.args, stderr, tt.want)
		}
	}

	code, stdout, _ := probe(t, "-h")
	if code != 0 || !strings.Contains(stdout, "usage: goserver probe URL") || !strings.Contains(stdout, "-retries") {
		t.Errorf("probe -h: exit %d, stdout %q", code, stdout)
	}
}

func TestShorten(t *testing.T) {
	if got := shorten([]byte("0.1.0")); got != `"0.1.0"` {
		t.Errorf("shorten short = %s", got)
	}
	long := strings.Repeat("é", 100) // multi-byte runes must not be split
	got := shorten([]byte(long))
	if want := `"` + strings.Repeat("é", maxShownInMsgs) + `"... (200 bytes)`; got != want {
		t.Errorf("shorten long = %s, want %s", got, want)
	}
}

// freeAddr returns a loopback address with (very likely) nothing listening on it.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
