package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"strings"
	"time"

	"github.com/breachwire/breachwire/digest"
	"github.com/breachwire/breachwire/store"
)

func runDigest(ctx context.Context, app *app, args []string) error {
	fs := app.flags("digest", "[--dry-run] [--out FILE.eml]")
	dryRun := fs.Bool("dry-run", false, "print the complete message on stdout; send and record nothing")
	out := fs.String("out", "", "write the complete message to `FILE.eml`; send and record nothing")
	rest, err := app.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("digest takes no arguments; got %q", rest[0])
	}
	if *dryRun && *out != "" {
		return usagef("--dry-run and --out both ask for the message without sending; use one")
	}
	preview := *dryRun || *out != ""
	opts, err := app.digestOptions(!preview)
	if err != nil {
		return err
	}
	db, err := app.openExistingDB(ctx)
	if err != nil {
		return err
	}

	if preview {
		d, err := digest.Compose(ctx, db, opts.To, opts.Compose)
		if err != nil {
			return err
		}
		if d.Empty() {
			app.reportNothingNew(d)
			return nil
		}
		m, err := d.Message(opts.From, opts.To)
		if err != nil {
			return err
		}
		if *dryRun {
			return digest.WriteMessage(app.stdout, m)
		}
		var b bytes.Buffer
		if err := digest.WriteMessage(&b, m); err != nil {
			return err
		}
		if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", *out, err)
		}
		fmt.Fprintf(app.stderr, "wrote %s (%s); nothing sent or recorded\n", *out, d.Subject())
		return nil
	}

	res, err := digest.Deliver(ctx, db, opts)
	if err != nil {
		return err
	}
	if !res.Sent {
		app.reportNothingNew(res.Digest)
		return nil
	}
	fmt.Fprintf(app.stderr, "sent %q to %s (Message-ID %s)\n", res.Digest.Subject(), strings.Join(opts.To, ", "), res.MessageID)
	return nil
}

// reportNothingNew says on stderr that there was nothing to send, and warns
// about failing feeds, which otherwise wait for the next digest.
func (a *app) reportNothingNew(d *digest.Digest) {
	if d.Last.ID != 0 {
		fmt.Fprintf(a.stderr, "nothing new since the last digest (%s)\n", d.Last.SentAt.Format("2 Jan 2006 15:04 MST"))
	} else {
		fmt.Fprintf(a.stderr, "nothing new since the last digest (none sent to this list yet; looked back %s, and stories whose newest report is older than %s are never mailed)\n", fmtDays(digest.DefaultFirstWindow), fmtDays(digest.DefaultMaxAge))
	}
	if n := len(d.Failing); n > 0 {
		fmt.Fprintf(a.stderr, "warning: %d feed(s) failing for more than a day; see 'breachwire feeds list'\n", n)
	}
}

func fmtDays(d time.Duration) string {
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// digestOptions turns the config into digest.Options. With send false the
// mail server settings are not needed (a preview). A missing setting is a
// usage error naming it.
func (a *app) digestOptions(send bool) (digest.Options, error) {
	cfg := a.cfg
	path, _ := a.configPath()
	where := "in the config file"
	if path != "" {
		where = "in " + path
	}
	if len(cfg.Digest.To) == 0 {
		return digest.Options{}, usagef("no recipients: set digest.to %s, e.g. to = [\"analyst@example.org\"]", where)
	}
	for _, addr := range cfg.Digest.To {
		if _, err := mail.ParseAddress(addr); err != nil {
			return digest.Options{}, usagef("digest.to: %q is not an email address", addr)
		}
	}
	if cfg.Digest.From == "" {
		return digest.Options{}, usagef("no sender: set digest.from %s, e.g. from = \"breachwire@example.org\"", where)
	}
	if _, err := mail.ParseAddress(cfg.Digest.From); err != nil {
		return digest.Options{}, usagef("digest.from: %q is not an email address", cfg.Digest.From)
	}
	opts := digest.Options{
		From:    cfg.Digest.From,
		To:      cfg.Digest.To,
		Compose: digest.ComposeOptions{Location: time.Local},
		Logger:  a.log,
	}
	if !send {
		return opts, nil
	}
	if cfg.SMTP.Host == "" {
		return digest.Options{}, usagef("no mail server: set smtp.host %s (or use --dry-run)", where)
	}
	opts.SMTP = digest.SMTP{
		Host:     cfg.SMTP.Host,
		Port:     cfg.SMTP.Port,
		TLS:      cfg.SMTP.TLS,
		Username: cfg.SMTP.Username,
		Timeout:  cfg.SMTP.Timeout.D(),
	}
	if cfg.SMTP.Username != "" {
		pw, err := a.smtpPassword()
		if err != nil {
			return digest.Options{}, err
		}
		opts.SMTP.Password = pw
	}
	return opts, nil
}

// smtpPassword reads the password from $BREACHWIRE_SMTP_PASSWORD, else from
// smtp.password_file; never from argv, and it is never logged.
func (a *app) smtpPassword() (string, error) {
	if pw := a.getenv("BREACHWIRE_SMTP_PASSWORD"); pw != "" {
		return pw, nil
	}
	file := a.cfg.SMTP.PasswordFile
	if file == "" {
		return "", usagef("smtp.username is set but there is no password: set $BREACHWIRE_SMTP_PASSWORD or smtp.password_file")
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return "", usagef("smtp.password_file %s does not exist", file)
	}
	if err != nil {
		return "", fmt.Errorf("read smtp.password_file: %w", err)
	}
	pw := strings.TrimRight(string(b), "\r\n")
	if pw == "" {
		return "", usagef("smtp.password_file %s is empty", file)
	}
	return pw, nil
}

// lastDigestSent is when the last digest went to the configured list (zero:
// never).
func lastDigestSent(ctx context.Context, db *store.DB, to []string) (time.Time, error) {
	last, err := db.LastDigest(ctx, store.RecipientsKey(to))
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return last.SentAt, nil
}
