package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/breachwire/breachwire/extract"
)

// maxExtractInput caps what extract reads from one file; larger inputs are
// not web pages.
const maxExtractInput = 32 << 20

func runExtract(ctx context.Context, app *app, args []string) error {
	fs := app.flags("extract", "[--url URL] FILE...|-")
	pageURL := fs.String("url", "", "the `URL` the page was fetched from (resolves relative links; the default canonical URL)")
	files, err := app.parse(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("extract needs an HTML file, or - for standard input")
	}
	if *pageURL != "" {
		if _, err := extract.CanonicalURL(*pageURL); err != nil {
			return usagef("--url %q: %v", *pageURL, err)
		}
	}
	stdin := 0
	for _, f := range files {
		if f == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return usagef("standard input (-) can be read only once")
	}

	if len(files) == 1 {
		a, err := extractFile(app, files[0], *pageURL)
		if err != nil {
			return err
		}
		return writeJSON(app.stdout, a)
	}
	// Several files: one JSON object per line, each naming its file; a
	// file that fails is reported and the others go on.
	enc := json.NewEncoder(app.stdout)
	enc.SetEscapeHTML(false)
	failed := 0
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		a, err := extractFile(app, name, *pageURL)
		if err != nil {
			fmt.Fprintf(app.stderr, "breachwire extract: %s\n", oneLine(err.Error()))
			failed++
			continue
		}
		line := struct {
			File string `json:"file"`
			extract.Article
		}{name, a}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	if failed > 0 {
		fmt.Fprintf(app.stderr, "breachwire extract: %d of %d files failed\n", failed, len(files))
		return errSilent
	}
	return nil
}

// extractFile reads one HTML file (or standard input for "-"), decodes it to
// UTF-8 and extracts it.
func extractFile(app *app, name, pageURL string) (extract.Article, error) {
	var r io.Reader = app.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return extract.Article{}, err
		}
		defer f.Close()
		r = f
	}
	page, err := io.ReadAll(io.LimitReader(r, maxExtractInput+1))
	if err != nil {
		return extract.Article{}, fmt.Errorf("read %s: %w", name, err)
	}
	if len(page) > maxExtractInput {
		return extract.Article{}, fmt.Errorf("%s: larger than %d MB, not a web page", name, maxExtractInput>>20)
	}
	page, err = extract.DecodeHTML(page, "")
	if err != nil {
		return extract.Article{}, fmt.Errorf("%s: %w", name, err)
	}
	a, err := extract.HTML(page, pageURL)
	if err != nil {
		return extract.Article{}, fmt.Errorf("%s: %w", name, err)
	}
	return a, nil
}
