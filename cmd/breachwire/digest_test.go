package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breachwire/breachwire/digest/smtptest"
	"github.com/breachwire/breachwire/extract"
	"github.com/breachwire/breachwire/store"
)

// seedDigestDB makes a database with one relevant story, stored now.
func seedDigestDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "breachwire.db")
	db := openDigestTestDB(t, path)
	a := &extract.Article{
		URL: "https://english.kyodonews.net/news/nec", Site: "Kyodo News",
		Title:     "NEC says 27,445 files accessed in cyberattack",
		Published: time.Now().UTC().Add(-time.Hour),
		Text:      "NEC Corp. said Friday it came under major cyberattacks that resulted in unauthorized access to 27,445 files.",
		Companies: []extract.Company{{Name: "NEC", Mentions: 3, Primary: true}},
		Figures:   []extract.Figure{{Kind: extract.KindFiles, Value: 27445, Text: "27,445 files"}},
		Relevance: 0.93,
	}
	if _, err := db.AddArticle(context.Background(), 0, a); err != nil {
		t.Fatal(err)
	}
	return path
}

func openDigestTestDB(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// writeDigestConfig writes a config with digest.from and digest.to set,
// followed by extra.
func writeDigestConfig(t *testing.T, extra string) string {
	t.Helper()
	return writeFile(t, "config.toml", "[digest]\nfrom = \"breachwire@example.org\"\nto = [\"analyst@example.org\"]\n\n"+extra)
}

func smtpSection(srv *smtptest.Server, more string) string {
	return fmt.Sprintf("[smtp]\nhost = %q\nport = %d\ntls = \"none\"\ntimeout = \"5s\"\n%s", srv.Host, srv.Port, more)
}

func TestDigestConfigErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	tests := []struct {
		name   string
		config string
		args   []string
		want   string
	}{
		{"no recipients", "[digest]\nfrom = \"a@example.org\"\n", nil, "digest.to"},
		{"no sender", "[digest]\nto = [\"a@example.org\"]\n", nil, "digest.from"},
		{"bad recipient", "[digest]\nfrom = \"a@example.org\"\nto = [\"not an address\"]\n", nil, `"not an address"`},
		{"no smtp host", "[digest]\nfrom = \"a@example.org\"\nto = [\"b@example.org\"]\n", nil, "smtp.host"},
		{"no password", "[digest]\nfrom = \"a@example.org\"\nto = [\"b@example.org\"]\n[smtp]\nhost = \"mail.example.org\"\nusername = \"bw\"\n", nil, "BREACHWIRE_SMTP_PASSWORD"},
		{"dry-run and out", "[digest]\nfrom = \"a@example.org\"\nto = [\"b@example.org\"]\n", []string{"--dry-run", "--out", "x.eml"}, "--dry-run and --out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("BREACHWIRE_SMTP_PASSWORD", "")
			args := append([]string{"digest", "--db", db, "--config", writeFile(t, "c.toml", tt.config)}, tt.args...)
			code, _, stderr := runCLI(t, "", args...)
			if code != 2 || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want 2 and one line naming %s", code, stderr, tt.want)
			}
		})
	}
}

func TestDigestDryRunAndOut(t *testing.T) {
	dbPath := seedDigestDB(t)
	// No smtp section: a preview needs no mail server.
	cfg := writeDigestConfig(t, "")
	code, stdout, stderr := runCLI(t, "", "digest", "--dry-run", "--db", dbPath, "--config", cfg)
	if code != 0 {
		t.Fatalf("dry-run: exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"Subject: ", "Message-ID: <", "Date: ", "To: <analyst@example.org>", "multipart/alternative", "text/plain", "text/html", "27,445 files"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry-run output lacks %q", want)
		}
	}
	out := filepath.Join(t.TempDir(), "digest.eml")
	code, _, stderr = runCLI(t, "", "digest", "--out", out, "--db", dbPath, "--config", cfg)
	if code != 0 {
		t.Fatalf("--out: exit %d, stderr %q", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(b), "27,445 files") {
		t.Errorf("--out file: %v; want the message", err)
	}
	db := openDigestTestDB(t, dbPath)
	if _, err := db.LastDigest(context.Background(), "analyst@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after previews, LastDigest error = %v, want ErrNotFound (nothing recorded)", err)
	}
}

func TestDigestSendThenNothingNew(t *testing.T) {
	dbPath := seedDigestDB(t)
	srv := smtptest.NewServer(t, smtptest.Options{Username: "bw", Password: "from-env"})
	t.Setenv("BREACHWIRE_SMTP_PASSWORD", "from-env")
	cfg := writeDigestConfig(t, smtpSection(srv, "username = \"bw\"\n"))

	code, _, stderr := runCLI(t, "", "digest", "--db", dbPath, "--config", cfg)
	if code != 0 {
		t.Fatalf("digest: exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stderr, "sent \"breachwire: 1 new incident") {
		t.Errorf("stderr = %q, want the sent line", stderr)
	}
	if strings.Contains(stderr, "from-env") {
		t.Errorf("stderr shows the password: %q", stderr)
	}
	if msgs := srv.Messages(); len(msgs) != 1 || msgs[0].User != "bw" {
		t.Fatalf("server got %d messages; want 1 after AUTH as bw", len(msgs))
	}

	code, stdout, stderr := runCLI(t, "", "digest", "--db", dbPath, "--config", cfg)
	if code != 0 || stdout != "" || !strings.HasPrefix(stderr, "nothing new since the last digest (") {
		t.Errorf("second digest: exit %d, stdout %q, stderr %q; want 0 and \"nothing new since the last digest (DATE)\"", code, stdout, stderr)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server has %d messages after the second run, want 1", n)
	}
}

func TestDigestPasswordFile(t *testing.T) {
	dbPath := seedDigestDB(t)
	srv := smtptest.NewServer(t, smtptest.Options{Username: "bw", Password: "from-file"})
	t.Setenv("BREACHWIRE_SMTP_PASSWORD", "")
	pw := writeFile(t, "password", "from-file\n")
	cfg := writeDigestConfig(t, smtpSection(srv, fmt.Sprintf("username = \"bw\"\npassword_file = %q\n", pw)))
	if code, _, stderr := runCLI(t, "", "digest", "--db", dbPath, "--config", cfg); code != 0 {
		t.Fatalf("digest: exit %d, stderr %q", code, stderr)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server got %d messages, want 1", n)
	}
}

func TestDigestSendFailure(t *testing.T) {
	dbPath := seedDigestDB(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfg := writeDigestConfig(t, fmt.Sprintf("[smtp]\nhost = \"127.0.0.1\"\nport = %d\ntls = \"none\"\ntimeout = \"5s\"\n", port))
	code, _, stderr := runCLI(t, "", "digest", "--db", dbPath, "--config", cfg)
	if code != 1 || !strings.Contains(stderr, "refused") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q; want 1 and one line saying the connection was refused", code, stderr)
	}
}
