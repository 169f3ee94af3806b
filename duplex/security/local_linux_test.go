package security

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestScanProcTCP: the table is read as the kernel writes it (host-order
// words, hex ports), and only an ESTABLISHED socket with an inode names
// an owner — a TIME_WAIT entry shows uid 0, and must not make a closed
// client root.
func TestScanProcTCP(t *testing.T) {
	const header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	row := func(local, remote, st, uid, inode string) string {
		return "   0: " + local + " " + remote + " " + st + " 00000000:00000000 00:00000000 00000000 " + uid + " 0 " + inode + " 1 0000000000000000 20 4 30 10 -1\n"
	}
	client := netip.MustParseAddrPort("127.0.0.1:48014")
	server := netip.MustParseAddrPort("127.0.0.1:8080")
	// 127.0.0.1 is 0x7F000001; a little-endian host prints 0100007F.
	le := func(ip string) string {
		a := netip.MustParseAddr(ip).As4()
		return strings.ToUpper(strconv.FormatUint(uint64(a[3])<<24|uint64(a[2])<<16|uint64(a[1])<<8|uint64(a[0]), 16))
	}
	if !littleEndianHost() {
		t.Skip("the table rows below are written for a little-endian host")
	}
	cli, srv := pad(le("127.0.0.1"), 8)+":BB8E", pad(le("127.0.0.1"), 8)+":1F90"
	v6cli := "0000000000000000FFFF00000100007F:BB8E"
	v6srv := "0000000000000000FFFF00000100007F:1F90"
	tests := []struct {
		name  string
		table string
		uid   uint32
		found bool
	}{
		{"established", row(srv, cli, "01", "0", "111") + row(cli, srv, "01", "1001", "222"), 1001, true},
		{"the server's own end is not the client", row(srv, cli, "01", "0", "111"), 0, false},
		{"time-wait shows uid 0", row(cli, srv, "06", "0", "0"), 0, false},
		{"established without an inode", row(cli, srv, "01", "0", "0"), 0, false},
		{"other port", row(pad(le("127.0.0.1"), 8)+":BB8F", srv, "01", "1001", "5"), 0, false},
		{"v4-mapped in tcp6", row(v6cli, v6srv, "01", "1002", "7"), 1002, true},
		{"garbage", "x\n" + "   0: zz:zz yy 01 a b c 1 0 9\n", 0, false},
	}
	for _, tc := range tests {
		uid, found, err := scanProcTCP(strings.NewReader(header+tc.table), client, server)
		if err != nil || uid != tc.uid || found != tc.found {
			t.Errorf("%s: uid %d found %v err %v, want %d %v", tc.name, uid, found, err, tc.uid, tc.found)
		}
	}
}

func pad(s string, n int) string { return strings.Repeat("0", n-len(s)) + s }

func littleEndianHost() bool { return binary.NativeEndian.Uint16([]byte{1, 0}) == 1 }

// TestLookupPeerRealSocket: a loopback connection of this process is found
// in the kernel's table under this process's uid, over IPv4 and IPv6.
func TestLookupPeerRealSocket(t *testing.T) {
	for _, network := range []string{"tcp4", "tcp6"} {
		addr := "127.0.0.1:0"
		if network == "tcp6" {
			addr = "[::1]:0"
		}
		ln, err := net.Listen(network, addr)
		if err != nil {
			t.Logf("%s: %v (skipped)", network, err)
			continue
		}
		c, err := net.Dial(network, ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		client := s.RemoteAddr().(*net.TCPAddr).AddrPort()
		server := s.LocalAddr().(*net.TCPAddr).AddrPort()
		acct, err := LookupPeer(client, server)
		if err != nil {
			t.Fatalf("%s: %v", network, err)
		}
		if want := strconv.Itoa(os.Getuid()); acct.User != want || acct.Admin != (os.Getuid() == 0) {
			t.Errorf("%s: account %+v, want uid %s", network, acct, want)
		}
		// Both ways of asking agree: sock_diag and the /proc tables.
		if uid, err := diagSocketOwner(client, server); err != nil || uid != uint32(os.Getuid()) {
			t.Errorf("%s: sock_diag: uid %d, %v", network, uid, err)
		}
		if uid, err := findSocketOwner(procTCPFiles, client, server); err != nil || uid != uint32(os.Getuid()) {
			t.Errorf("%s: /proc: uid %d, %v", network, uid, err)
		}
		// The server's own end is not the client.
		if uid, err := diagSocketOwner(server, client); err == nil && uid != uint32(os.Getuid()) {
			t.Errorf("%s: reversed: uid %d", network, uid)
		}
		// Closed: the client end is gone (or in TIME_WAIT), and nobody owns it.
		c.Close()
		s.Close()
		ln.Close()
		if acct, err := LookupPeer(client, server); err == nil {
			t.Errorf("%s: after close: %+v", network, acct)
		}
		if _, err := findSocketOwner(procTCPFiles, client, server); err == nil {
			t.Errorf("%s: /proc after close: found", network)
		}
	}
}

// FuzzScanProcTCP: whatever the table holds, an owner is only ever taken
// from an ESTABLISHED row with an inode whose addresses are exactly the
// connection's, and the scan never fails on a malformed row.
func FuzzScanProcTCP(f *testing.F) {
	const header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	f.Add(header + "   0: 0100007F:BB8E 0100007F:1F90 01 00000000:00000000 00:00000000 00000000 1001 0 222 1\n")
	f.Add(header + "   0: 0100007F:BB8E 0100007F:1F90 06 00000000:00000000 00:00000000 00000000 0 0 0 1\n")
	f.Add(header + "   0: 0000000000000000FFFF00000100007F:BB8E 0000000000000000FFFF00000100007F:1F90 01 0:0 0:0 0 7 0 9\n")
	client := netip.MustParseAddrPort("127.0.0.1:48014")
	server := netip.MustParseAddrPort("127.0.0.1:8080")
	f.Fuzz(func(t *testing.T, table string) {
		uid, found, err := scanProcTCP(strings.NewReader(table), client, server)
		if err != nil || !found {
			return
		}
		// Find the row that matched, as the oracle reads it.
		ok := false
		for i, line := range strings.Split(table, "\n") {
			fl := strings.Fields(line)
			if i == 0 || len(fl) < 10 || fl[3] != "01" || fl[9] == "0" {
				continue
			}
			if u, err := strconv.ParseUint(fl[7], 10, 32); err != nil || uint32(u) != uid {
				continue
			}
			l, e1 := parseProcAddr(fl[1])
			r, e2 := parseProcAddr(fl[2])
			if e1 == nil && e2 == nil && l == client && r == server {
				ok = true
				break
			}
		}
		if !ok {
			t.Fatalf("owner %d taken from no established row of the connection:\n%q", uid, table)
		}
	})
}

// BenchmarkLookupPeer is the cost an authorization on a none listener adds
// once per session: scanning the kernel's TCP tables for the connection.
func BenchmarkLookupPeer(b *testing.B) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	s, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	client := s.RemoteAddr().(*net.TCPAddr).AddrPort()
	server := s.LocalAddr().(*net.TCPAddr).AddrPort()
	for b.Loop() {
		if _, err := LookupPeer(client, server); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzParseDiagReply: a sock_diag reply yields an owner only for an
// established socket with an inode whose ends are the connection's.
func FuzzParseDiagReply(f *testing.F) {
	client := netip.MustParseAddrPort("127.0.0.1:48014")
	server := netip.MustParseAddrPort("127.0.0.1:8080")
	ok := make([]byte, nlmsgHdrLen+inetDiagMsgLen)
	binary.NativeEndian.PutUint32(ok[0:], uint32(len(ok)))
	binary.NativeEndian.PutUint16(ok[4:], 20) // SOCK_DIAG_BY_FAMILY
	m := ok[nlmsgHdrLen:]
	m[0], m[1] = 2, 1 // AF_INET, ESTABLISHED
	binary.BigEndian.PutUint16(m[4:], 48014)
	binary.BigEndian.PutUint16(m[6:], 8080)
	copy(m[8:], []byte{127, 0, 0, 1})
	copy(m[24:], []byte{127, 0, 0, 1})
	binary.NativeEndian.PutUint32(m[64:], 1001)
	binary.NativeEndian.PutUint32(m[68:], 4242)
	if uid, err := parseDiagReply(ok, 2, client, server); err != nil || uid != 1001 {
		f.Fatalf("seed: %d %v", uid, err)
	}
	f.Add(ok)
	f.Add(ok[:20])
	f.Fuzz(func(t *testing.T, b []byte) {
		uid, err := parseDiagReply(b, 2, client, server)
		if err != nil {
			return
		}
		m := b[nlmsgHdrLen:]
		if m[0] != 2 || m[1] != 1 || binary.NativeEndian.Uint32(m[68:]) == 0 ||
			binary.BigEndian.Uint16(m[4:]) != 48014 || binary.BigEndian.Uint16(m[6:]) != 8080 ||
			[4]byte(m[8:12]) != [4]byte{127, 0, 0, 1} || [4]byte(m[24:28]) != [4]byte{127, 0, 0, 1} ||
			binary.NativeEndian.Uint32(m[64:]) != uid {
			t.Fatalf("owner %d from %x", uid, b)
		}
	})
}
