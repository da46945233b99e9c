package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // America/New_York for the DST cases, on any machine

	"github.com/breachwire/breachwire/digest"
	"github.com/breachwire/breachwire/digest/smtptest"
)

func TestNextDigestTime(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	local := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, ny)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	seven := clock{7, 0}
	tests := []struct {
		name      string
		last, now time.Time
		at        clock
		want      time.Time
	}{
		{"never sent, before the slot", time.Time{}, local("2020-01-31 06:00"), seven, local("2020-01-31 07:00")},
		{"never sent, after the slot: catch up now", time.Time{}, local("2020-01-31 09:30"), seven, local("2020-01-31 09:30")},
		{"sent today: tomorrow", local("2020-01-31 07:00"), local("2020-01-31 07:01"), seven, local("2020-02-01 07:00")},
		{"sent today late: tomorrow", local("2020-01-31 23:00"), local("2020-01-31 23:30"), seven, local("2020-02-01 07:00")},
		{"sent yesterday, before today's slot", local("2020-01-30 07:00"), local("2020-01-31 06:59"), seven, local("2020-01-31 07:00")},
		{"sent yesterday, today's slot missed: catch up", local("2020-01-30 07:00"), local("2020-01-31 12:00"), seven, local("2020-01-31 12:00")},
		{"exactly at the slot", local("2020-01-30 07:00"), local("2020-01-31 07:00"), seven, local("2020-01-31 07:00")},
		{"last stored in UTC", utc("2020-01-31T12:00:05Z"), local("2020-01-31 08:00"), seven, local("2020-02-01 07:00")},
		{"slot skipped by DST starts at the shifted time", local("2020-03-07 02:30"), local("2020-03-08 01:00"), clock{2, 30}, local("2020-03-08 03:30")},
		{"day after DST ends", local("2020-10-31 07:00"), local("2020-11-01 06:00"), seven, local("2020-11-01 07:00")},
		{"midnight slot", local("2020-01-30 00:00"), local("2020-01-31 00:00"), clock{0, 0}, local("2020-01-31 00:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nextDigestTime(tt.last, tt.now, tt.at); !got.Equal(tt.want) {
				t.Errorf("nextDigestTime(%v, %v, %v) = %v, want %v", tt.last, tt.now, tt.at, got, tt.want)
			}
		})
	}
}

func TestParseClock(t *testing.T) {
	tests := []struct {
		in      string
		want    clock
		wantErr bool
	}{
		{"07:00", clock{7, 0}, false},
		{"23:59", clock{23, 59}, false},
		{"7am", clock{}, true},
		{"24:00", clock{}, true},
	}
	for _, tt := range tests {
		got, err := parseClock(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseClock(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for the service's logger and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *lockedBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *lockedBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServiceLoop runs the real loop: a failing poll is logged and the loop
// goes on; a digest missed today is sent at start; cancelling stops it.
func TestServiceLoop(t *testing.T) {
	dbPath := seedDigestDB(t)
	db := openDigestTestDB(t, dbPath)
	srv := smtptest.NewServer(t, smtptest.Options{})
	var logs lockedBuffer
	polled := make(chan struct{}, 10)
	svc := &service{
		log: slog.New(slog.NewTextHandler(&logs, nil)),
		db:  db,
		poll: func(ctx context.Context) (pollSummary, error) {
			polled <- struct{}{}
			return pollSummary{}, errors.New("feeds unreachable")
		},
		digestOpts: &digest.Options{
			From: "breachwire@example.org", To: []string{"analyst@example.org"},
			SMTP: digest.SMTP{Host: srv.Host, Port: srv.Port, TLS: "none", Timeout: 5 * time.Second},
		},
		every: time.Hour,
		// 00:00 has always passed today: the digest is due at start.
		at:  clock{0, 0},
		now: time.Now,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		svc.loop(ctx)
		close(done)
	}()
	select {
	case <-polled:
	case <-time.After(30 * time.Second):
		t.Fatal("no poll at start")
	}
	select {
	case <-srv.Received():
	case <-time.After(30 * time.Second):
		t.Fatalf("no digest sent at start; log:\n%s", logs.String())
	}
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("loop did not stop after cancel")
	}
	out := logs.String()
	for _, want := range []string{`msg="poll failed" err="feeds unreachable"`, `msg="digest sent"`, `msg="next digest"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server got %d digests, want 1", n)
	}
}

func TestRunUsageErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad every", []string{"--every", "1s"}, "--every"},
		{"bad digest-at", []string{"--digest-at", "7am"}, "--digest-at"},
		{"argument", []string{"now"}, "no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"run", "--db", filepath.Join(dir, "x.db"), "--config", writeDigestConfig(t, "")}, tt.args...)
			code, _, stderr := runCLI(t, "", args...)
			if code != 2 || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("run %v: exit %d, stderr %q; want 2 and one line mentioning %q", tt.args, code, stderr, tt.want)
			}
		})
	}
}
