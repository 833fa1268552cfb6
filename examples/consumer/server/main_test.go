package main

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRoutes(t *testing.T) {
	version = "1.2.3"
	t.Cleanup(func() { version = "dev" })
	server := httptest.NewServer(handler())
	defer server.Close()

	cases := []struct {
		args []string
		want int
	}{
		{[]string{server.URL + "/", "--expect", Message}, 0},
		{[]string{server.URL + "/version", "--expect", "1.2.3", "--exact"}, 0},
		{[]string{server.URL + "/version", "--expect", "1.2", "--exact"}, 1},
		{[]string{server.URL + "/version", "--expect", "1.2"}, 0},
		{[]string{server.URL + "/missing"}, 1},
		{[]string{"--expect", "x"}, 2},
		{[]string{server.URL + "/", "--bogus"}, 2},
	}
	for _, c := range cases {
		var stderr bytes.Buffer
		if got := probe(c.args, &stderr); got != c.want {
			t.Errorf("probe %s = %d, want %d (stderr %q)", strings.Join(c.args, " "), got, c.want, stderr.String())
		}
	}
}

func TestProbeRetriesUntilTheServerAnswers(t *testing.T) {
	var stderr bytes.Buffer
	// Nothing listens on port 1: every attempt fails, and the last error is reported.
	if got := probe([]string{"http://127.0.0.1:1/", "--retries", "2", "--interval", "1ms", "--timeout", "100ms"}, &stderr); got != 1 {
		t.Fatalf("probe = %d, want 1", got)
	}
	if !strings.Contains(stderr.String(), "probe:") {
		t.Fatalf("stderr %q does not explain the failure", stderr.String())
	}
}
