package fetch

import (
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// blocked lists the ranges a guarded request may not connect to, with the
// reason shown to the user. Checked against the resolved address at connect
// time, so a public name that resolves (or re-resolves) to a private address
// is caught too.
var blocked = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (cloud metadata)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64"},
	{netip.MustParsePrefix("fc00::/7"), "unique local"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// checkAddr returns an error wrapping ErrPrivateAddress when ip may not be
// reached by a guarded request. IPv4-mapped IPv6 addresses are checked as
// the IPv4 address they carry.
func checkAddr(ip netip.Addr) error {
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() {
		return fmt.Errorf("%w: invalid address", ErrPrivateAddress)
	}
	for _, b := range blocked {
		if b.prefix.Contains(ip) {
			return fmt.Errorf("refused to connect to %s, a %s address (%w; --allow-private allows it)", ip, b.what, ErrPrivateAddress)
		}
	}
	return nil
}

// guardControl is a net.Dialer Control function: it runs after name
// resolution, just before connect, with the literal address.
func guardControl(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: bad address %q", ErrPrivateAddress, address)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: bad address %q", ErrPrivateAddress, address)
	}
	return checkAddr(ip)
}
