// Command breachwire watches the news for cyberattacks on defense contractors
// and for what those companies disclose. See README.md for every command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/breachwire/breachwire/store"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// command is one subcommand. run gets the arguments after the command name.
type command struct {
	summary string
	run     func(ctx context.Context, app *app, args []string) error
}

// commands is the whole command-line surface; names are a public contract.
var commands = map[string]command{
	"feeds":     {"add, import, export and list feeds", runFeeds},
	"poll":      {"poll due feeds once: fetch, extract, store, cluster", runPoll},
	"run":       {"poll on a schedule and send the daily digest", runRun},
	"extract":   {"print the extraction JSON of HTML page(s); no database", runExtract},
	"import":    {"bulk-load a JSONL archive of articles", runImport},
	"search":    {"full-text search over articles", runSearch},
	"stories":   {"list incidents, newest first", runStories},
	"show":      {"show one story with all its reports", runShow},
	"digest":    {"compose and send (or print) the digest", runDigest},
	"export":    {"write every article with its story, entities and figures", runExport},
	"reextract": {"re-run extraction over stored articles", runReextract},
	"recluster": {"rebuild all stories from stored articles", runRecluster},
	"version":   {"print the version", runVersion},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := realMain(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// realMain runs one command and returns the process exit code: 0 success,
// 2 usage error, 1 any other failure. Errors are printed as one line.
func realMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "--version" || args[0] == "-version" {
		args[0] = "version"
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "breachwire: unknown command %q; run 'breachwire help' for the list\n", args[0])
		return 2
	}
	app.name = args[0]
	err := cmd.run(ctx, app, args[1:])
	app.close()
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errSilent):
		return 1
	}
	fmt.Fprintf(stderr, "breachwire %s: %s\n", app.name, oneLine(err.Error()))
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "breachwire %s: watch the news for cyberattacks on defense contractors\n\nusage: breachwire COMMAND [flags] [args]\n\ncommands:\n", version)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\nEvery command takes --db PATH (default $BREACHWIRE_DB, else %s)\nand --config PATH (TOML). 'breachwire COMMAND -h' shows a command's flags.\n", defaultDBPathHint())
}

// usageError marks errors in how the command was called (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// errSilent is returned by a command that has already told the user what went
// wrong (a summary line) and only needs a non-zero exit.
var errSilent = errors.New("failed")

// oneLine folds a multi-line message into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

func runVersion(ctx context.Context, app *app, args []string) error {
	fs := app.flags("version", "")
	pos, err := app.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("takes no arguments, got %q", pos[0])
	}
	fmt.Fprintf(app.stdout, "breachwire %s\n", version)
	return nil
}

// app carries what every command shares: standard streams, the resolved
// --db and --config, the loaded config, the logger and the open database.
type app struct {
	name   string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string

	dbFlag     string
	configFlag string
	verbose    bool
	usage      func() // prints the current command's usage and flags
	cfg        Config
	log        *slog.Logger
	db         *store.DB
}

// flags returns a flag set for a command with the global flags registered.
func (a *app) flags(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// flag's own messages are discarded: parse returns the error as one line,
	// and the full usage is printed only when asked for with -h.
	fs.SetOutput(io.Discard)
	fs.StringVar(&a.dbFlag, "db", "", "database `path` (default $BREACHWIRE_DB, else "+defaultDBPathHint()+")")
	fs.StringVar(&a.configFlag, "config", "", "config file `path` (TOML; default $BREACHWIRE_CONFIG, else breachwire/config.toml in the XDG config directory if present)")
	fs.BoolVar(&a.verbose, "v", false, "verbose logging (debug level)")
	fs.Usage = func() {}
	a.usage = func() {
		fmt.Fprintf(a.stderr, "usage: breachwire %s %s\n\nflags:\n", name, usage)
		fs.SetOutput(a.stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses args, allowing flags before and after positional arguments,
// then loads the config and sets up logging. It returns the positional args.
func (a *app) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				a.usage()
				return nil, err
			}
			return nil, usagef("%v; see 'breachwire %s -h'", err, fs.Name())
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	cfg, err := loadConfig(a.configPath())
	if err != nil {
		return nil, err
	}
	a.cfg = cfg
	level := slog.LevelInfo
	if a.verbose {
		level = slog.LevelDebug
	}
	a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
	return positional, nil
}

// openExistingDB opens the database for commands that only read or rework
// what is stored, so that a mistyped --db is an error, not a new empty file.
func (a *app) openExistingDB(ctx context.Context) (*store.DB, error) {
	path, err := a.dbPath()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no database at %s; run 'breachwire poll' or 'breachwire import' first, or pass --db PATH", path)
	}
	return a.openDB(ctx)
}

// openDB opens the database named by --db, $BREACHWIRE_DB or the default.
func (a *app) openDB(ctx context.Context) (*store.DB, error) {
	if a.db != nil {
		return a.db, nil
	}
	path, err := a.dbPath()
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	a.db = db
	return db, nil
}

func (a *app) close() {
	if a.db != nil {
		if err := a.db.Close(); err != nil && a.log != nil {
			a.log.Error("closing database", "err", err)
		}
		a.db = nil
	}
}
