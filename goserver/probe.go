package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"
)

const probeUsage = "usage: goserver probe URL [--expect TEXT] [--exact] [--timeout 5s] [--retries N] [--interval 500ms]"

const (
	maxProbeBody   = 1 << 20 // bytes of the response body that are read and compared
	maxShownInMsgs = 64      // runes of a body shown in error messages
)

type probeConfig struct {
	url      string
	expect   string
	expectOK bool // --expect was given (it may be the empty string)
	exact    bool
	timeout  time.Duration
	retries  int
	interval time.Duration
}

// runProbe implements "goserver probe". It GETs the URL and returns the exit
// code: 0 on HTTP 200 (and a matching body when --expect is given), 1 on any
// failure (with one line on stderr), 2 on bad usage.
//
// Transport errors (e.g. connection refused, timeouts) and non-200 statuses
// are retried up to --retries times, --interval apart; a 200 with the wrong
// body is final.
func runProbe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseProbeArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, probeUsage)
		fmt.Fprint(stdout, probeFlagHelp())
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "probe: %v\n%s\n", err, probeUsage)
		return 2
	}

	client := &http.Client{Transport: probeTransport()}
	var (
		last  error
		tries int
	)
	for {
		var retry bool
		tries++
		retry, last = probeOnce(ctx, client, cfg)
		if last == nil {
			fmt.Fprintf(stdout, "probe: GET %s: ok\n", cfg.url)
			return 0
		}
		if !retry || tries > cfg.retries || !sleep(ctx, cfg.interval) {
			break
		}
	}
	msg := fmt.Sprintf("probe: GET %s: %v", cfg.url, last)
	if tries > 1 {
		msg += fmt.Sprintf(" (after %d attempts)", tries)
	}
	fmt.Fprintln(stderr, msg)
	return 1
}

// sleep waits for d and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func probeTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil // talk to the target directly, never through $HTTP_PROXY
	t.DisableKeepAlives = true
	return t
}

// probeOnce performs one GET. It returns nil on success, otherwise the error
// and whether another attempt may help.
func probeOnce(ctx context.Context, client *http.Client, cfg probeConfig) (retry bool, err error) {
	actx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, cfg.url, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("User-Agent", "goserver-probe/"+version)

	resp, err := client.Do(req)
	if err != nil {
		return true, transportError(ctx, actx, cfg.timeout, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxProbeBody))
	if err != nil {
		return true, fmt.Errorf("reading body: %w", transportError(ctx, actx, cfg.timeout, err))
	}
	if resp.StatusCode != http.StatusOK {
		return true, fmt.Errorf("got status %d, want 200", resp.StatusCode)
	}
	switch {
	case !cfg.expectOK:
	case cfg.exact && string(body) != cfg.expect:
		return false, fmt.Errorf("body is %s, want exactly %s", shorten(body), shorten([]byte(cfg.expect)))
	case !cfg.exact && !bytes.Contains(body, []byte(cfg.expect)):
		return false, fmt.Errorf("body does not contain %s (body: %s)", shorten([]byte(cfg.expect)), shorten(body))
	}
	return false, nil
}

// transportError turns client errors into something readable: it drops the
// `Get "URL":` prefix (we print the URL ourselves) and names timeouts.
func transportError(parent, attempt context.Context, timeout time.Duration, err error) error {
	if parent.Err() != nil {
		return fmt.Errorf("aborted: %v", context.Cause(parent))
	}
	if attempt.Err() != nil {
		return fmt.Errorf("no response within %v", timeout)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}

// shorten quotes b for an error message, truncating long bodies.
func shorten(b []byte) string {
	if utf8.RuneCount(b) <= maxShownInMsgs {
		return strconv.Quote(string(b))
	}
	s := string(b)
	n := 0
	for i := range s {
		if n == maxShownInMsgs {
			s = s[:i]
			break
		}
		n++
	}
	return fmt.Sprintf("%s... (%d bytes)", strconv.Quote(s), len(b))
}

func newProbeFlagSet(cfg *probeConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // we print our own one-line errors
	fs.Func("expect", "require the response body to contain `TEXT`", func(s string) error {
		cfg.expect, cfg.expectOK = s, true
		return nil
	})
	fs.BoolVar(&cfg.exact, "exact", false, "require the body to equal the --expect TEXT exactly")
	fs.DurationVar(&cfg.timeout, "timeout", 5*time.Second, "timeout for each attempt")
	fs.IntVar(&cfg.retries, "retries", 0, "retry `N` more times on connection errors or non-200 statuses")
	fs.DurationVar(&cfg.interval, "interval", 500*time.Millisecond, "wait between retries")
	return fs
}

func probeFlagHelp() string {
	var b bytes.Buffer
	fs := newProbeFlagSet(&probeConfig{})
	fs.SetOutput(&b)
	fs.PrintDefaults()
	return b.String()
}

// parseProbeArgs parses "URL [flags]", allowing flags before and after the URL.
func parseProbeArgs(args []string) (probeConfig, error) {
	var cfg probeConfig
	fs := newProbeFlagSet(&cfg)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return cfg, err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}

	switch {
	case len(positional) == 0:
		return cfg, errors.New("missing URL")
	case len(positional) > 1:
		return cfg, fmt.Errorf("expected one URL, got %d arguments", len(positional))
	case cfg.exact && !cfg.expectOK:
		return cfg, errors.New("--exact needs --expect TEXT")
	case cfg.timeout <= 0:
		return cfg, fmt.Errorf("--timeout must be positive, got %v", cfg.timeout)
	case cfg.retries < 0:
		return cfg, fmt.Errorf("--retries must not be negative, got %d", cfg.retries)
	case cfg.interval < 0:
		return cfg, fmt.Errorf("--interval must not be negative, got %v", cfg.interval)
	}
	u, err := url.Parse(positional[0])
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, fmt.Errorf("invalid URL %q: want http://HOST[:PORT]/PATH", positional[0])
	}
	cfg.url = positional[0]
	return cfg, nil
}
