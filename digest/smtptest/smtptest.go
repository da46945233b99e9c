// Package smtptest runs a real SMTP server in-process for tests, as
// net/http/httptest does for HTTP: it records what it receives and can be
// told to refuse mail, require AUTH PLAIN, or offer STARTTLS with a
// certificate made for the test.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	Data []byte
	// User is the authenticated user name, if any.
	User string
	// TLS reports whether the session was encrypted.
	TLS bool
}

// Options configure a Server.
type Options struct {
	// STARTTLS offers STARTTLS with a fresh self-signed certificate for
	// 127.0.0.1; Server.TLSConfig trusts it.
	STARTTLS bool
	// ImplicitTLS speaks TLS from the first byte (smtps, port 465 style),
	// with a certificate made as for STARTTLS.
	ImplicitTLS bool
	// Username and Password, if set, require AUTH PLAIN before MAIL.
	Username, Password string
}

// Server is a running SMTP server on 127.0.0.1.
type Server struct {
	Host string
	Port int
	// ClientTLS trusts the server's certificate (nil without TLS).
	ClientTLS *tls.Config

	opts     Options
	srv      *smtp.Server
	received chan Message

	mu     sync.Mutex
	reject error
	msgs   []Message
}

// NewServer starts a server that stops when the test ends.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	s := &Server{opts: opts, received: make(chan Message, 100)}
	s.Host, s.Port = "127.0.0.1", l.Addr().(*net.TCPAddr).Port
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	s.srv.Domain = "smtptest.localhost"
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	switch {
	case opts.ImplicitTLS:
		cert, pool := selfSigned(t)
		l = tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}})
		s.ClientTLS = &tls.Config{RootCAs: pool, ServerName: s.Host, MinVersion: tls.VersionTLS12}
	case opts.STARTTLS:
		cert, pool := selfSigned(t)
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		s.ClientTLS = &tls.Config{RootCAs: pool, ServerName: s.Host, MinVersion: tls.VersionTLS12}
	default:
		// Loopback only: AUTH without TLS is fine here.
		s.srv.AllowInsecureAuth = true
	}
	go s.srv.Serve(l)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Reject makes the server answer MAIL FROM with err (e.g. a 550
// *smtp.SMTPError) until called again with nil.
func (s *Server) Reject(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = err
}

// Messages returns the messages accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Received delivers each accepted message as it arrives.
func (s *Server) Received() <-chan Message { return s.received }

// Err550 is a permanent rejection, as a server refusing a sender answers.
var Err550 = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Sender rejected by policy"}

type session struct {
	s    *Server
	conn *smtp.Conn
	user string
	msg  Message
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.s.opts.Username || password != ss.s.opts.Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		ss.user = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.Username != "" && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.s.mu.Lock()
	reject := ss.s.reject
	ss.s.mu.Unlock()
	if reject != nil {
		return reject
	}
	ss.msg = Message{From: from, User: ss.user}
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.msg.To = append(ss.msg.To, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.msg.Data = b
	_, ss.msg.TLS = ss.conn.TLSConnectionState()
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, ss.msg)
	ss.s.mu.Unlock()
	select {
	case ss.s.received <- ss.msg:
	default:
	}
	return nil
}

func (ss *session) Reset()        { ss.msg = Message{} }
func (ss *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and localhost and a pool
// that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("smtptest: key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("smtptest: certificate: %v", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("smtptest: certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
