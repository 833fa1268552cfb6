package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRoutes(t *testing.T) {
	h := newHandler(`Hello <script>alert("x")</script> & co`, "1.2.3<b>")

	tests := []struct {
		method, path string
		wantStatus   int
		wantType     string // prefix
		wantBody     string // exact, unless empty
		contains     []string
		notContains  []string
		wantAllow    string
	}{
		{method: "GET", path: "/", wantStatus: 200, wantType: "text/html; charset=utf-8",
			contains: []string{
				"<!DOCTYPE html>",
				"Hello &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co",
				"1.2.3&lt;b&gt;",
			},
			notContains: []string{"<script>", "<b>"}},
		{method: "HEAD", path: "/", wantStatus: 200, wantType: "text/html; charset=utf-8"},
		{method: "GET", path: "/version", wantStatus: 200, wantType: "text/plain; charset=utf-8", wantBody: "1.2.3<b>"},
		{method: "HEAD", path: "/version", wantStatus: 200, wantType: "text/plain; charset=utf-8"},
		{method: "GET", path: "/healthz", wantStatus: 200, wantType: "text/plain; charset=utf-8", wantBody: "ok"},
		{method: "HEAD", path: "/healthz", wantStatus: 200, wantType: "text/plain; charset=utf-8"},
		{method: "GET", path: "/nope", wantStatus: 404},
		{method: "GET", path: "/version/", wantStatus: 404},
		{method: "GET", path: "/index.html", wantStatus: 404},
		{method: "POST", path: "/nope", wantStatus: 404},
		{method: "POST", path: "/", wantStatus: 405, wantAllow: "GET, HEAD"},
		{method: "PUT", path: "/version", wantStatus: 405, wantAllow: "GET, HEAD"},
		{method: "DELETE", path: "/healthz", wantStatus: 405, wantAllow: "GET, HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)

			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %q)", res.StatusCode, tt.wantStatus, body)
			}
			if ct := res.Header.Get("Content-Type"); tt.wantType != "" && ct != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", ct, tt.wantType)
			}
			if tt.wantBody != "" && string(body) != tt.wantBody {
				t.Errorf("body = %q, want exactly %q", body, tt.wantBody)
			}
			for _, s := range tt.contains {
				if !strings.Contains(string(body), s) {
					t.Errorf("body does not contain %q:\n%s", s, body)
				}
			}
			for _, s := range tt.notContains {
				if strings.Contains(string(body), s) {
					t.Errorf("body contains unescaped %q", s)
				}
			}
			if tt.wantAllow != "" && res.Header.Get("Allow") != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", res.Header.Get("Allow"), tt.wantAllow)
			}
		})
	}
}

// TestVersionExact checks /version over a real connection: exact bytes, no
// trailing newline, correct Content-Length.
func TestVersionExact(t *testing.T) {
	srv := httptest.NewServer(newHandler("m", "0.1.0"))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/version")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if string(body) != "0.1.0" || res.ContentLength != 5 {
		t.Fatalf("body = %q (Content-Length %d), want exactly %q", body, res.ContentLength, "0.1.0")
	}
}

func TestDefaultMessage(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if got := messageFrom(env(nil)); got != "Hi Docker, I pushed a new version!" {
		t.Errorf("default message = %q", got)
	}
	if got := messageFrom(env(map[string]string{"MESSAGE": "yo"})); got != "yo" {
		t.Errorf("MESSAGE override = %q", got)
	}
	rec := httptest.NewRecorder()
	newHandler(defaultMessage, "dev").ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if !strings.Contains(rec.Body.String(), "Hi Docker, I pushed a new version!") {
		t.Errorf("index page lacks the default message:\n%s", rec.Body)
	}
}

func TestListenAddr(t *testing.T) {
	tests := []struct {
		port, want string
		wantErr    bool
	}{
		{"", ":8080", false},
		{"8080", ":8080", false},
		{"80", ":80", false},
		{"0", ":0", false},
		{"65535", ":65535", false},
		{"08081", ":8081", false},
		{"65536", "", true},
		{"-1", "", true},
		{"+80", "", true},
		{" 80", "", true},
		{"80 ", "", true},
		{"abc", "", true},
		{":8080", "", true},
		{"8080.0", "", true},
	}
	for _, tt := range tests {
		got, err := listenAddr(func(k string) string {
			if k == "PORT" {
				return tt.port
			}
			return ""
		})
		if tt.wantErr {
			if err == nil {
				t.Errorf("PORT=%q: got %q, want error", tt.port, got)
			} else if !strings.Contains(err.Error(), "invalid PORT") {
				t.Errorf("PORT=%q: unclear error %q", tt.port, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("PORT=%q: got %q, %v; want %q", tt.port, got, err, tt.want)
		}
	}
}

func TestRunServerBadPort(t *testing.T) {
	var stderr bytes.Buffer
	code := runServer(context.Background(), func(k string) string {
		if k == "PORT" {
			return "http"
		}
		return ""
	}, &stderr)
	if code == 0 {
		t.Fatal("exit code 0 for bad PORT")
	}
	if got := stderr.String(); strings.Count(got, "\n") != 1 || !strings.Contains(got, `invalid PORT "http"`) {
		t.Fatalf("stderr = %q, want one line about the invalid PORT", got)
	}
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	ch chan string
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.ch <- string(p)
	return len(p), nil
}

func TestServeGracefulShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{ch: make(chan string, 10)}
	logger := log.New(logs, "", 0)

	// A slow in-flight request must complete during shutdown.
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("/", newHandler("m", "9.9.9"))
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "done")
	})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, mux, logger, "9.9.9") }()

	want := fmt.Sprintf("listening on :%d, version 9.9.9\n", ln.Addr().(*net.TCPAddr).Port)
	if got := <-logs.ch; got != want {
		t.Fatalf("start log = %q, want %q", got, want)
	}

	slow := make(chan string, 1)
	go func() {
		res, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			slow <- err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		slow <- string(b)
	}()
	time.Sleep(50 * time.Millisecond) // let the request reach the handler
	cancel()
	time.Sleep(50 * time.Millisecond)
	close(release)

	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after cancel")
	}
	if got := <-slow; got != "done" {
		t.Errorf("in-flight request got %q, want %q", got, "done")
	}
	if got := <-logs.ch; !strings.HasPrefix(got, "stopped") {
		t.Errorf("stop log = %q", got)
	}
}
