package security

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// The kernel answers "who owns this one TCP socket" directly through
// sock_diag (NETLINK_INET_DIAG, the interface of ss(8)): an exact lookup by
// the four-tuple costs microseconds, where /proc/net/tcp lists every socket
// of the network namespace (tens of milliseconds with thousands of them).
// /proc is the fallback when sock_diag is not available (no tcp_diag).

// Layout of the messages (linux/netlink.h, linux/inet_diag.h).
const (
	nlmsgHdrLen     = 16
	inetDiagReqLen  = 56 // struct inet_diag_req_v2
	inetDiagMsgLen  = 72 // struct inet_diag_msg
	inetDiagSockOff = 8  // id (struct inet_diag_sockid) in the request
	tcpStateEstab   = 1  // TCP_ESTABLISHED
	diagTimeout     = 2 * time.Second
)

// errDiagUnavailable: sock_diag cannot answer here; use /proc.
var errDiagUnavailable = errors.New("sock_diag unavailable")

// diagSocketOwner asks sock_diag for the socket whose local end is client
// and remote end is server, trying the client's address family as IPv4 and
// then as IPv6 (an IPv6 socket talking to 127.0.0.1 uses ::ffff:127.0.0.1).
func diagSocketOwner(client, server netip.AddrPort) (uint32, error) {
	c, s := client.Addr().Unmap(), server.Addr().Unmap()
	var tries []uint8
	if c.Is4() && s.Is4() {
		tries = append(tries, unix.AF_INET)
	}
	tries = append(tries, unix.AF_INET6)
	var lastErr error
	for _, family := range tries {
		uid, err := diagLookup(family, netip.AddrPortFrom(c, client.Port()), netip.AddrPortFrom(s, server.Port()))
		if err == nil {
			return uid, nil
		}
		lastErr = err
		if errors.Is(err, errDiagUnavailable) {
			return 0, err
		}
	}
	return 0, lastErr
}

// diagAddr writes a into the 16 bytes of an inet_diag_sockid address.
func diagAddr(dst []byte, family uint8, a netip.Addr) {
	if family == unix.AF_INET {
		b := a.As4()
		copy(dst, b[:])
		return
	}
	b := a.As16() // IPv4 becomes ::ffff:a.b.c.d
	copy(dst, b[:])
}

func diagLookup(family uint8, client, server netip.AddrPort) (uint32, error) {
	ds, err := getDiagSocket()
	if err != nil {
		return 0, err
	}
	ds.seq++
	req := ds.req[:]
	clear(req)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST) // no DUMP: an exact lookup
	ne.PutUint32(req[8:], ds.seq)
	r := req[nlmsgHdrLen:]
	r[0], r[1] = family, unix.IPPROTO_TCP
	ne.PutUint32(r[4:], 1<<tcpStateEstab)
	id := r[inetDiagSockOff:]
	binary.BigEndian.PutUint16(id[0:], client.Port()) // the socket's own (local) end
	binary.BigEndian.PutUint16(id[2:], server.Port())
	diagAddr(id[4:20], family, client.Addr())
	diagAddr(id[20:36], family, server.Addr())
	ne.PutUint32(id[40:], ^uint32(0)) // INET_DIAG_NOCOOKIE
	ne.PutUint32(id[44:], ^uint32(0))
	if err := unix.Sendto(ds.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		ds.close()
		return 0, fmt.Errorf("%w: %w", errDiagUnavailable, err)
	}
	n, _, err := unix.Recvfrom(ds.fd, ds.buf[:], 0)
	if err != nil {
		ds.close() // a reply may still come: this socket is not reused
		return 0, fmt.Errorf("%w: %w", errDiagUnavailable, err)
	}
	if n < nlmsgHdrLen || ne.Uint32(ds.buf[8:]) != ds.seq {
		ds.close()
		return 0, fmt.Errorf("%w: reply out of sequence", errDiagUnavailable)
	}
	uid, err := parseDiagReply(ds.buf[:n], family, client, server)
	putDiagSocket(ds)
	return uid, err
}

// A sock_diag socket is kept for the next lookup (a session's Initialize
// looks its caller up): opening, configuring and closing one per lookup was
// four of its six system calls. A socket whose exchange failed is closed,
// never reused, so no late reply can answer a later request.
type diagSocket struct {
	fd  int
	seq uint32
	req [nlmsgHdrLen + inetDiagReqLen]byte
	// buf holds one reply: the header, inet_diag_msg and the few
	// attributes the kernel adds unasked (shutdown, cgroup, sockopt).
	buf [1024]byte
}

// diagIdle holds the sockets not in use; more lookups at once open more,
// and those that find it full are closed.
var diagIdle = make(chan *diagSocket, 4)

func getDiagSocket() (*diagSocket, error) {
	select {
	case ds := <-diagIdle:
		return ds, nil
	default:
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_INET_DIAG)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errDiagUnavailable, err)
	}
	tv := unix.NsecToTimeval(diagTimeout.Nanoseconds())
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
	return &diagSocket{fd: fd}, nil
}

func putDiagSocket(ds *diagSocket) {
	select {
	case diagIdle <- ds:
	default:
		ds.close()
	}
}

func (ds *diagSocket) close() { _ = unix.Close(ds.fd) }

// parseDiagReply reads the one message an exact lookup answers.
func parseDiagReply(b []byte, family uint8, client, server netip.AddrPort) (uint32, error) {
	ne := binary.NativeEndian
	if len(b) < nlmsgHdrLen {
		return 0, fmt.Errorf("%w: short reply", errDiagUnavailable)
	}
	l, typ := ne.Uint32(b[0:]), ne.Uint16(b[4:])
	if int(l) > len(b) || l < nlmsgHdrLen {
		return 0, fmt.Errorf("%w: bad reply length", errDiagUnavailable)
	}
	body := b[nlmsgHdrLen:l]
	switch typ {
	case unix.NLMSG_ERROR:
		if len(body) < 4 {
			return 0, fmt.Errorf("%w: short error", errDiagUnavailable)
		}
		errno := unix.Errno(-int32(ne.Uint32(body)))
		if errno == unix.ENOENT {
			// No such socket — or no tcp_diag handler, which says the
			// same: let /proc decide.
			return 0, fmt.Errorf("%w: %w", errDiagUnavailable, errno)
		}
		return 0, fmt.Errorf("%w: %w", errDiagUnavailable, errno)
	case unix.SOCK_DIAG_BY_FAMILY:
	default:
		return 0, fmt.Errorf("%w: reply type %d", errDiagUnavailable, typ)
	}
	if len(body) < inetDiagMsgLen {
		return 0, fmt.Errorf("%w: short inet_diag_msg", errDiagUnavailable)
	}
	// inet_diag_msg: family, state, timer, retrans, id (48), expires,
	// rqueue, wqueue, uid, inode.
	id := body[4:52]
	var src, dst [16]byte
	copy(src[:], id[4:20])
	copy(dst[:], id[20:36])
	toAddr := func(b [16]byte) netip.Addr {
		if body[0] == unix.AF_INET {
			return netip.AddrFrom4([4]byte(b[:4]))
		}
		return netip.AddrFrom16(b).Unmap()
	}
	local := netip.AddrPortFrom(toAddr(src), binary.BigEndian.Uint16(id[0:]))
	remote := netip.AddrPortFrom(toAddr(dst), binary.BigEndian.Uint16(id[2:]))
	uid, inode := ne.Uint32(body[64:]), ne.Uint32(body[68:])
	if body[0] != family || body[1] != tcpStateEstab || inode == 0 ||
		local != netip.AddrPortFrom(client.Addr().Unmap(), client.Port()) || remote != netip.AddrPortFrom(server.Addr().Unmap(), server.Port()) {
		return 0, fmt.Errorf("%w: no established socket %s → %s", ErrNoLocalAccount, client, server)
	}
	return uid, nil
}
