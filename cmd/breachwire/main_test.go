package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runCLI runs breachwire in-process with the given args and returns exit
// code, stdout and stderr. BREACHWIRE_* variables from the developer's
// environment are ignored: only --db/--config given in args count.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Setenv("BREACHWIRE_DB", "")
	t.Setenv("BREACHWIRE_CONFIG", "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	var out, errOut bytes.Buffer
	code = realMain(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUsageErrors(t *testing.T) {
	badTOML := writeFile(t, "bad.toml", "[fetch\ntimeout = 3")
	unknownKey := writeFile(t, "unknown.toml", "[fetch]\ntimout = \"3s\"\n")
	badValue := writeFile(t, "badvalue.toml", "[smtp]\ntls = \"ssl\"\n")
	badDuration := writeFile(t, "baddur.toml", "[fetch]\ntimeout = \"soon\"\n")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no command", nil, 2, "usage: breachwire COMMAND"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", []string{"version", "--nope"}, 2, "flag provided but not defined: -nope"},
		{"missing config", []string{"version", "--config", "/nonexistent/x.toml"}, 2, "/nonexistent/x.toml"},
		{"bad toml", []string{"version", "--config", badTOML}, 2, "fix the TOML syntax"},
		{"unknown key", []string{"version", "--config", unknownKey}, 2, "unknown setting fetch.timout"},
		{"bad tls value", []string{"version", "--config", badValue}, 2, `smtp.tls is "ssl"`},
		{"bad duration", []string{"version", "--config", badDuration}, 2, "is not a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.wantErr)
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				t.Errorf("stderr has a stack trace: %q", stderr)
			}
		})
	}
}

func TestErrorsAreOneLine(t *testing.T) {
	bad := writeFile(t, "bad.toml", "[fetch]\nmax_body = \"lots\"\n")
	_, _, stderr := runCLI(t, "", "version", "--config", bad)
	if n := strings.Count(strings.TrimRight(stderr, "\n"), "\n"); n != 0 {
		t.Errorf("stderr has %d extra lines: %q", n, stderr)
	}
}

func TestVersionAndHelp(t *testing.T) {
	code, out, _ := runCLI(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "breachwire ") {
		t.Errorf("version: code %d, out %q", code, out)
	}
	code, _, stderr := runCLI(t, "", "help")
	if code != 0 || !strings.Contains(stderr, "stories") {
		t.Errorf("help: code %d, stderr %q", code, stderr)
	}
}

func TestConfigFileApplies(t *testing.T) {
	p := writeFile(t, "ok.toml", `
[fetch]
allow_private = true
timeout = "5s"
max_body = "2MB"
per_host_delay = "0s"

[digest]
from = "bw@example.org"
to = ["a@example.org", "b@example.org"]
at = "06:30"

[smtp]
host = "localhost"
port = 2525
tls = "none"
`)
	cfg, err := loadConfig(p, true)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Fetch.AllowPrivate || cfg.Fetch.Timeout.D() != 5*time.Second || cfg.Fetch.MaxBody != 2<<20 || cfg.Fetch.PerHostDelay != 0 {
		t.Errorf("fetch = %+v", cfg.Fetch)
	}
	if cfg.Fetch.Concurrency != 8 {
		t.Errorf("unset concurrency = %d, want default 8", cfg.Fetch.Concurrency)
	}
	if cfg.Digest.At != "06:30" || len(cfg.Digest.To) != 2 || cfg.SMTP.Port != 2525 || cfg.SMTP.TLS != "none" {
		t.Errorf("digest/smtp = %+v %+v", cfg.Digest, cfg.SMTP)
	}
	// A config that does not exist is fine when nobody asked for it.
	if _, err := loadConfig(filepath.Join(t.TempDir(), "absent.toml"), false); err != nil {
		t.Errorf("implicit missing config: %v", err)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"10MB", 10 << 20}, {"512KB", 512 << 10}, {"1GB", 1 << 30}, {"2MiB", 2 << 20}, {"1000", 1000}, {"1.5MB", 3 << 19}, {" 3 mb ", 3 << 20},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "lots", "-1MB", "MB"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) succeeded, want error", bad)
		}
	}
}

func TestParseDate(t *testing.T) {
	now := time.Date(2020, 2, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in       string
		endOfDay bool
		want     time.Time
	}{
		{"", false, time.Time{}},
		{"2020-01-31", false, time.Date(2020, 1, 31, 0, 0, 0, 0, time.UTC)},
		{"2020-01-31", true, time.Date(2020, 1, 31, 23, 59, 59, 0, time.UTC)},
		{"2020-01-31T09:00:00+09:00", false, time.Date(2020, 1, 31, 0, 0, 0, 0, time.UTC)},
		{"7d", false, now.Add(-7 * 24 * time.Hour)},
		{"36h", false, now.Add(-36 * time.Hour)},
	}
	for _, tt := range tests {
		got, err := parseDate(tt.in, now, tt.endOfDay)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseDate(%q, %v) = %v, %v; want %v", tt.in, tt.endOfDay, got, err, tt.want)
		}
	}
	for _, bad := range []string{"yesterday", "2020-13-01", "-3d"} {
		if _, err := parseDate(bad, now, false); err == nil {
			t.Errorf("parseDate(%q) succeeded, want error", bad)
		}
	}
}
