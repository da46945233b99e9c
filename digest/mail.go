package digest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTP says how to reach the mail server.
type SMTP struct {
	Host string
	Port int
	// TLS is "starttls" (the default), "tls" (implicit TLS, usually port
	// 465) or "none".
	TLS      string
	Username string
	// Password is sent only to the server, never logged.
	Password string
	// Timeout bounds connecting and each exchange with the server.
	Timeout time.Duration
	// TLSConfig replaces the default TLS settings (tests use it to trust a
	// private certificate); its ServerName must be set.
	TLSConfig *tls.Config
}

// Message builds the RFC 5322 message: multipart/alternative with a plain
// text and an HTML part, UTF-8 headers encoded as RFC 2047 words, a fresh
// Message-ID and the digest's date.
func (d *Digest) Message(from string, to []string) (*gomail.Msg, error) {
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := m.From(headerValue(from)); err != nil {
		return nil, fmt.Errorf("digest: sender %q: %w", from, err)
	}
	if len(to) == 0 {
		return nil, fmt.Errorf("digest: no recipients")
	}
	for _, rcpt := range to {
		if err := m.AddTo(headerValue(rcpt)); err != nil {
			return nil, fmt.Errorf("digest: recipient %q: %w", rcpt, err)
		}
	}
	m.Subject(headerValue(d.Subject()))
	m.SetDateWithValue(d.Date)
	m.SetMessageIDWithValue(rand.Text() + "@" + messageIDDomain(from))
	m.SetUserAgent("breachwire")
	// RFC 3834: tells auto-responders not to answer.
	m.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	html, err := d.HTML()
	if err != nil {
		return nil, err
	}
	m.SetBodyString(gomail.TypeTextPlain, d.Text())
	m.AddAlternativeString(gomail.TypeTextHTML, html)
	return m, nil
}

// WriteMessage writes the complete message to w, as it would be sent.
func WriteMessage(w io.Writer, m *gomail.Msg) error {
	if _, err := m.WriteTo(w); err != nil {
		return fmt.Errorf("digest: write message: %w", err)
	}
	return nil
}

// headerValue strips CR and LF (and other control characters) so that no
// value can start a header of its own.
func headerValue(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// messageIDDomain is the sender's domain, so Message-IDs are ours.
func messageIDDomain(from string) string {
	if a, err := mail.ParseAddress(headerValue(from)); err == nil {
		if _, domain, ok := strings.Cut(a.Address, "@"); ok && domain != "" {
			return domain
		}
	}
	return "breachwire.invalid"
}

// Send delivers m over SMTP. It returns nil once the server has accepted the
// message, even if closing the connection afterwards fails.
func Send(ctx context.Context, cfg SMTP, m *gomail.Msg) error {
	if cfg.Host == "" {
		return fmt.Errorf("digest: send: no SMTP host")
	}
	opts := []gomail.Option{gomail.WithoutNoop()}
	if cfg.Port != 0 {
		opts = append(opts, gomail.WithPort(cfg.Port))
	}
	if cfg.Timeout > 0 {
		opts = append(opts, gomail.WithTimeout(cfg.Timeout))
	}
	authType := gomail.SMTPAuthAutoDiscover
	switch cfg.TLS {
	case "tls":
		opts = append(opts, gomail.WithSSL())
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
		// Discovery never picks PLAIN without TLS; PLAIN itself still
		// refuses to send a password in the clear to anything but localhost.
		authType = gomail.SMTPAuthPlain
	case "", "starttls":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		return fmt.Errorf("digest: send: tls mode %q is not starttls, tls or none", cfg.TLS)
	}
	if cfg.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(cfg.TLSConfig))
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(authType),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	c, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("digest: send via %s: %w", cfg.Host, err)
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil && !m.IsDelivered() {
		return fmt.Errorf("digest: send via %s: %s", c.ServerAddr(), oneLine(err.Error()))
	}
	return nil
}

// oneLine folds a multi-line error (errors.Join) into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}
