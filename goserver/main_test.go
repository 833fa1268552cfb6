package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBinary builds the real binary with -ldflags "-X main.version=1.2.3",
// starts it on a free port, probes it with its own probe mode and stops it
// with SIGTERM.
func TestBinary(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses SIGTERM")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found in PATH")
	}
	bin := filepath.Join(t.TempDir(), "goserver")
	build := exec.Command(goTool, "build", "-ldflags", "-X main.version=1.2.3", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	t.Run("serve, probe, SIGTERM", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin)
		cmd.Env = append(os.Environ(), "PORT=0", "MESSAGE=Hello from the test <3")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 16)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		defer cmd.Process.Kill() // no-op once it has exited

		var first string
		select {
		case first = <-lines:
		case <-time.After(5 * time.Second):
			t.Fatal("no start log line within 5s")
		}
		m := regexp.MustCompile(`listening on :(\d+), version 1\.2\.3$`).FindStringSubmatch(first)
		if m == nil || m[1] == "0" {
			t.Fatalf("start log line = %q", first)
		}
		base := "http://127.0.0.1:" + m[1]

		// The binary's own probe mode proves -X set main.version.
		out, err := exec.Command(bin, "probe", base+"/version", "--expect", "1.2.3", "--exact", "--retries", "20", "--interval", "50ms").CombinedOutput()
		if err != nil {
			t.Fatalf("probe /version: %v\n%s", err, out)
		}
		out, err = exec.Command(bin, "probe", "--expect", "0.0.1", "--exact", base+"/version").CombinedOutput()
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 {
			t.Fatalf("probe with wrong version: %v, want exit 1\n%s", err, out)
		}
		if want := `body is "1.2.3", want exactly "0.0.1"`; !strings.Contains(string(out), want) {
			t.Errorf("probe output %q does not contain %q", out, want)
		}

		res, err := http.Get(base + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), "Hello from the test &lt;3") || !strings.Contains(string(body), "1.2.3") {
			t.Errorf("GET / = %d\n%s", res.StatusCode, body)
		}

		start := time.Now()
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		var rest []string
		for l := range lines { // ends when the process closes stderr
			rest = append(rest, l)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("exit after SIGTERM: %v (stderr %q)", err, rest)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("took %v to stop after SIGTERM", d)
		}
		if len(rest) != 1 || !strings.Contains(rest[0], "stopped (terminated") {
			t.Errorf("log lines after SIGTERM = %q, want one stop line", rest)
		}
	})

	t.Run("bad PORT", func(t *testing.T) {
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), "PORT=eighty")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) || exitErr.ExitCode() == 0 {
			t.Fatalf("run with PORT=eighty: %v, want non-zero exit", err)
		}
		if got := stderr.String(); strings.Count(got, "\n") != 1 || !strings.Contains(got, `invalid PORT "eighty"`) {
			t.Errorf("stderr = %q, want one clear line", got)
		}
	})

	t.Run("probe usage", func(t *testing.T) {
		out, err := exec.Command(bin, "probe").CombinedOutput()
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) || exitErr.ExitCode() != 2 || !strings.Contains(string(out), "usage: goserver probe URL") {
			t.Errorf("probe without URL: %v\n%s", err, out)
		}
	})
}
