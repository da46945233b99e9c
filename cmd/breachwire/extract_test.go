package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fixture pages belong to the extract package; the command reads them
// where they are.
const extractFixtures = "../../extract/testdata/pages"

func TestExtractOneFile(t *testing.T) {
	wire := filepath.Join(extractFixtures, "wire-article.html")
	code, stdout, stderr := runCLI(t, "", "extract", "--url", "https://defensewire.example.com/news/x?utm_source=rss", wire)
	if code != 0 {
		t.Fatalf("exit code %d, stderr %q", code, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, stdout)
	}
	for _, field := range []string{"url", "canonical_url", "title", "published", "site", "lang", "text", "companies", "agencies", "figures", "relevance"} {
		if _, ok := got[field]; !ok {
			t.Errorf("output lacks field %q", field)
		}
	}
	if _, ok := got["file"]; ok {
		t.Errorf("one file: output has a \"file\" field")
	}
	want := map[string]string{
		"url":           "https://defensewire.example.com/news/x?utm_source=rss",
		"canonical_url": "https://defensewire.example.com/news/2024/03/kestrel-avionics-breach",
		"title":         "Kestrel Avionics says hackers reached 12,380 files tied to navy work",
		"published":     "2024-03-08T09:30:00Z",
		"site":          "Defense Wire",
		"lang":          "en",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %v, want %q", k, got[k], v)
		}
	}
	if text, _ := got["text"].(string); strings.Contains(text, "27,000") || !strings.Contains(text, "12,380 files") {
		t.Errorf("text: got %q, want the article without its newsletter box", text)
	}
}

func TestExtractSeveralFilesAndStdin(t *testing.T) {
	latin1, err := os.ReadFile(filepath.Join(extractFixtures, "latin1-article.html"))
	if err != nil {
		t.Fatal(err)
	}
	files := []string{
		filepath.Join(extractFixtures, "sjis-article.html"),
		"-",
		filepath.Join(extractFixtures, "meta-only.html"),
	}
	code, stdout, stderr := runCLI(t, string(latin1), append([]string{"extract"}, files...)...)
	if code != 0 {
		t.Fatalf("exit code %d, stderr %q", code, stderr)
	}
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q is not a JSON object: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if len(lines) != len(files) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(files), stdout)
	}
	// Without --url the host is unknown, so only a suffix naming
	// og:site_name comes off a title.
	wantTitles := []string{"防衛関連企業に不正アクセス", "Rüstungszulieferer meldet Datenabfluss", "Supplier of drone parts confirms ransomware attack - Aerospace Daily Review"}
	for i, m := range lines {
		if m["file"] != files[i] {
			t.Errorf("line %d: file %v, want %q", i, m["file"], files[i])
		}
		if m["title"] != wantTitles[i] {
			t.Errorf("line %d: title %v, want %q (charset decoded)", i, m["title"], wantTitles[i])
		}
	}
	if text, _ := lines[1]["text"].(string); !strings.Contains(text, "für gepanzerte Fahrzeuge") {
		t.Errorf("ISO-8859-1 page: text %q not decoded", text)
	}
}

func TestExtractErrors(t *testing.T) {
	wire := filepath.Join(extractFixtures, "wire-article.html")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
		wantOut  int // JSON lines expected on stdout
	}{
		{"no files", []string{"extract"}, 2, "needs an HTML file", 0},
		{"stdin twice", []string{"extract", "-", "-"}, 2, "only once", 0},
		{"missing file", []string{"extract", "/nonexistent/page.html"}, 1, "/nonexistent/page.html", 0},
		{"one of several missing", []string{"extract", wire, "/nonexistent/page.html"}, 1, "1 of 2 files failed", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr %q, want it to contain %q", stderr, tt.wantErr)
			}
			if got := strings.Count(stdout, "\n"); got != tt.wantOut {
				t.Errorf("got %d lines on stdout, want %d", got, tt.wantOut)
			}
		})
	}
}

// TestExtractBenchmarkPage runs the command on a real page of the public
// benchmark, as a user would.
func TestExtractBenchmarkPage(t *testing.T) {
	// A Wired story: long, split into several containers around ads.
	name := "../../../shared/bench/extraction/html/2f42ef1d3ea0c96e56355d3db93d0e06b47e760b74f6f4261278b8cd1c246dd6.html.gz"
	raw, err := readGzipFile(name)
	if os.IsNotExist(err) {
		t.Skip("extraction benchmark not found at ../shared/bench/extraction; see ../shared/bench/README.md")
	}
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, string(raw), "extract", "-")
	if code != 0 {
		t.Fatalf("exit code %d, stderr %q", code, stderr)
	}
	var a struct{ Title, Text string }
	if err := json.Unmarshal([]byte(stdout), &a); err != nil {
		t.Fatal(err)
	}
	if a.Title == "" || len(a.Text) < 5000 {
		t.Errorf("got title %q and %d bytes of text, want both", a.Title, len(a.Text))
	}
}

func readGzipFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
