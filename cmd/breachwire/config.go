package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is the TOML config file (README.md, "Config file").
type Config struct {
	Fetch  FetchConfig  `toml:"fetch"`
	Digest DigestConfig `toml:"digest"`
	SMTP   SMTPConfig   `toml:"smtp"`
}

// FetchConfig sets the HTTP client's limits and politeness.
type FetchConfig struct {
	AllowPrivate bool     `toml:"allow_private"`
	Timeout      Duration `toml:"timeout"`
	MaxBody      Size     `toml:"max_body"`
	PerHostDelay Duration `toml:"per_host_delay"`
	// Concurrency bounds requests in flight across all hosts.
	Concurrency int    `toml:"concurrency"`
	UserAgent   string `toml:"user_agent"`
}

// DigestConfig says who gets the digest and when `run` sends it.
type DigestConfig struct {
	From string   `toml:"from"`
	To   []string `toml:"to"`
	// At is local time "HH:MM" for `run`.
	At string `toml:"at"`
}

// SMTPConfig is the mail server. The password is never in this file's
// plain settings: $BREACHWIRE_SMTP_PASSWORD or password_file.
type SMTPConfig struct {
	Host         string `toml:"host"`
	Port         int    `toml:"port"`
	Username     string `toml:"username"`
	TLS          string `toml:"tls"`
	PasswordFile string `toml:"password_file"`
	// Timeout for connecting and for each SMTP exchange.
	Timeout Duration `toml:"timeout"`
}

func defaultConfig() Config {
	return Config{
		Fetch: FetchConfig{
			Timeout:      Duration(30 * time.Second),
			MaxBody:      10 << 20,
			PerHostDelay: Duration(time.Second),
			Concurrency:  8,
		},
		Digest: DigestConfig{At: "07:00"},
		SMTP:   SMTPConfig{Port: 587, TLS: "starttls", Timeout: Duration(30 * time.Second)},
	}
}

// configPath is --config, else $BREACHWIRE_CONFIG, else the XDG default;
// explicit reports whether the user named it (so that it must exist).
func (a *app) configPath() (path string, explicit bool) {
	if a.configFlag != "" {
		return a.configFlag, true
	}
	if p := a.getenv("BREACHWIRE_CONFIG"); p != "" {
		return p, true
	}
	dir := a.getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", false
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "breachwire", "config.toml"), false
}

// loadConfig reads path over the defaults. A missing file is an error only
// when the user named it explicitly.
func loadConfig(path string, explicit bool) (Config, error) {
	cfg := defaultConfig()
	if path == "" {
		return cfg, nil
	}
	md, err := toml.DecodeFile(path, &cfg)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !explicit {
			return defaultConfig(), nil
		}
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return cfg, usagef("config %s: line %d: %s", path, perr.Position.Line, describeTOMLError(perr))
		}
		msg := strings.TrimPrefix(err.Error(), "toml: ")
		if where, types, ok := strings.Cut(msg, ": incompatible types: "); ok {
			types = strings.NewReplacer("TOML value has type", "it is a", "destination has type", "the setting takes a", "slice", "list").Replace(types)
			return cfg, usagef("config %s: %s: wrong type (%s)", path, where, types)
		}
		return cfg, usagef("config %s: %s", path, msg)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		keys := make([]string, len(undecoded))
		for i, k := range undecoded {
			keys[i] = k.String()
		}
		return cfg, usagef("config %s: unknown setting %s; see the README's Config file section", path, strings.Join(keys, ", "))
	}
	if err := cfg.validate(); err != nil {
		return cfg, usagef("config %s: %v", path, err)
	}
	return cfg, nil
}

// describeTOMLError words a TOML decoding error for a person: a bad value
// or a wrong type names the setting; anything else is a syntax error.
func describeTOMLError(perr toml.ParseError) string {
	msg := strings.TrimPrefix(perr.Message, "toml: ")
	if _, types, ok := strings.Cut(msg, "incompatible types: "); ok {
		types = strings.ReplaceAll(types, "TOML value has type", "it is a")
		types = strings.ReplaceAll(types, "destination has type", "the setting takes a")
		types = strings.ReplaceAll(types, "slice", "list")
		return fmt.Sprintf("%s has the wrong type (%s)", perr.LastKey, types)
	}
	if perr.LastKey != "" && strings.Contains(msg, "; write e.g.") {
		return fmt.Sprintf("%s: %s", perr.LastKey, msg)
	}
	return msg + "; fix the TOML syntax"
}

func (c *Config) validate() error {
	if c.Fetch.Timeout <= 0 {
		return errors.New("fetch.timeout must be positive, e.g. \"30s\"")
	}
	if c.Fetch.MaxBody <= 0 {
		return errors.New("fetch.max_body must be positive, e.g. \"10MB\"")
	}
	if c.Fetch.PerHostDelay < 0 {
		return errors.New("fetch.per_host_delay must not be negative")
	}
	if c.Fetch.Concurrency <= 0 {
		return errors.New("fetch.concurrency must be at least 1")
	}
	switch c.SMTP.TLS {
	case "starttls", "tls", "none":
	default:
		return fmt.Errorf("smtp.tls is %q; use \"starttls\", \"tls\" or \"none\"", c.SMTP.TLS)
	}
	if c.SMTP.Port <= 0 || c.SMTP.Port > 65535 {
		return fmt.Errorf("smtp.port %d is not a port number", c.SMTP.Port)
	}
	if _, err := time.Parse("15:04", c.Digest.At); err != nil {
		return fmt.Errorf("digest.at is %q; use local time as HH:MM, e.g. \"07:00\"", c.Digest.At)
	}
	return nil
}

// Duration is a time.Duration written as "30s", "1m30s" in TOML.
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("%q is not a duration; write e.g. \"30s\" or \"5m\"", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration as Go does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Size is a byte count written as "10MB", "512KB", "1GB" or plain bytes.
type Size int64

// UnmarshalText parses a size with an optional KB/MB/GB (or KiB/MiB/GiB) unit;
// units are binary (1MB = 1,048,576 bytes).
func (s *Size) UnmarshalText(b []byte) error {
	v, err := ParseSize(string(b))
	if err != nil {
		return err
	}
	*s = Size(v)
	return nil
}

// ParseSize parses "10MB" and the like.
func ParseSize(text string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(text))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t = strings.TrimSpace(strings.TrimSuffix(t, u.suffix))
			mult = u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size; write e.g. \"10MB\"", text)
	}
	return int64(n * float64(mult)), nil
}

// defaultDBPathHint describes the default database location for help text.
func defaultDBPathHint() string {
	return "$XDG_DATA_HOME/breachwire/breachwire.db"
}

// dbPath is --db, else $BREACHWIRE_DB, else breachwire.db in the XDG data
// directory ($XDG_DATA_HOME or ~/.local/share).
func (a *app) dbPath() (string, error) {
	if a.dbFlag != "" {
		return a.dbFlag, nil
	}
	if p := a.getenv("BREACHWIRE_DB"); p != "" {
		return p, nil
	}
	dir := a.getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no home directory for the default database; pass --db PATH or set BREACHWIRE_DB")
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "breachwire", "breachwire.db"), nil
}
