package nns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/ipamd/ipamd/duplex/security"
)

// Mechanism is the acceptor side of one security context.
type Mechanism interface {
	// Step consumes the client's next token and returns the answer; done
	// reports that the context is established (out may still be sent). An
	// error that implements HResult() uint32 chooses the HandshakeError
	// code (default SEC_E_INVALID_TOKEN).
	Step(token []byte) (out []byte, done bool, err error)
	// Identity is the authenticated client once done.
	Identity() *security.Identity
	Protector
}

// Defaults of Upgrader.
const (
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultMaxRounds bounds the client messages of one handshake (NTLM
	// needs 2 to 3, Kerberos 1 to 2).
	DefaultMaxRounds = 6
)

// Upgrader accepts "application/negotiate". It implements nmf.Upgrader.
type Upgrader struct {
	// NewMechanism returns a fresh acceptor context for a connection.
	NewMechanism func(remote net.Addr) (Mechanism, error)
	// HandshakeTimeout and MaxRounds bound the handshake; zero = defaults.
	HandshakeTimeout time.Duration
	MaxRounds        int
}

// CanUpgrade reports whether kind is NegotiateStream.
func (u *Upgrader) CanUpgrade(kind string) bool { return kind == Kind }

// hresulter is implemented by errors that know their HandshakeError code.
type hresulter interface{ HResult() uint32 }

// Upgrade runs the acceptor handshake on conn and returns the data-phase
// connection. On a failed authentication the client gets a HandshakeError
// with the HRESULT before the connection is dropped.
func (u *Upgrader) Upgrade(ctx context.Context, kind string, conn net.Conn) (net.Conn, error) {
	if kind != Kind {
		return nil, fmt.Errorf("nns: cannot upgrade to %q", kind)
	}
	timeout, rounds := u.HandshakeTimeout, u.MaxRounds
	if timeout <= 0 {
		timeout = DefaultHandshakeTimeout
	}
	if rounds <= 0 {
		rounds = DefaultMaxRounds
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	restore := deadlineFromContext(ctx, conn)
	defer restore()

	mech, err := u.NewMechanism(conn.RemoteAddr())
	if err != nil {
		return nil, fmt.Errorf("nns: new mechanism: %w", err)
	}
	for round := 0; ; round++ {
		if round == rounds {
			_ = writeMessage(conn, HandshakeError, ErrorPayload(SecEInvalidToken))
			return nil, fmt.Errorf("%w: more than %d handshake rounds", ErrMalformed, rounds)
		}
		m, err := ReadMessage(conn)
		if err != nil {
			return nil, ctxErr(ctx, err)
		}
		if m.ID == HandshakeError {
			return nil, peerError(m.Payload)
		}
		out, done, err := mech.Step(m.Payload)
		if err != nil {
			code := SecEInvalidToken
			var h hresulter
			if errors.As(err, &h) {
				code = h.HResult()
			}
			_ = writeMessage(conn, HandshakeError, ErrorPayload(code))
			return nil, fmt.Errorf("nns: handshake with %s: %w", conn.RemoteAddr(), err)
		}
		if done {
			// Our last message is always HandshakeDone, even when empty.
			if err := writeMessage(conn, HandshakeDone, out); err != nil {
				return nil, ctxErr(ctx, err)
			}
			return NewConn(conn, mech, mech.Identity()), nil
		}
		if m.ID == HandshakeDone {
			// The client says it is finished but the mechanism is not.
			_ = writeMessage(conn, HandshakeError, ErrorPayload(SecEInvalidToken))
			return nil, fmt.Errorf("%w: client finished before the mechanism", ErrMalformed)
		}
		if err := writeMessage(conn, HandshakeInProgress, out); err != nil {
			return nil, ctxErr(ctx, err)
		}
	}
}

func writeMessage(conn net.Conn, id byte, payload []byte) error {
	b, err := AppendMessage(nil, id, payload)
	if err != nil {
		return err
	}
	_, err = conn.Write(b)
	return err
}

// deadlineFromContext makes conn's I/O fail when ctx ends; the returned
// function clears the deadline again.
func deadlineFromContext(ctx context.Context, conn net.Conn) func() {
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	return func() {
		stop()
		_ = conn.SetDeadline(time.Time{})
	}
}

func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("nns: handshake: %w (%w)", ctx.Err(), err)
	}
	return err
}

// Initiator is the client side of one security context.
type Initiator interface {
	// Step returns the next token given the server's last one (nil at the
	// start); done reports that the client's context is complete.
	Step(token []byte) (out []byte, done bool, err error)
	Protector
}

// Initiate runs the client handshake on conn, after the client read the
// server's Upgrade Response, and returns the data-phase connection.
func Initiate(ctx context.Context, conn net.Conn, mech Initiator) (*Conn, error) {
	restore := deadlineFromContext(ctx, conn)
	defer restore()
	out, done, err := mech.Step(nil)
	if err != nil {
		return nil, err
	}
	for round := 0; ; round++ {
		if round == DefaultMaxRounds {
			return nil, fmt.Errorf("%w: more than %d handshake rounds", ErrMalformed, DefaultMaxRounds)
		}
		if out != nil || !done {
			id := byte(HandshakeInProgress)
			if done {
				id = HandshakeDone
			}
			if err := writeMessage(conn, id, out); err != nil {
				return nil, ctxErr(ctx, err)
			}
		}
		m, err := ReadMessage(conn)
		if err != nil {
			return nil, ctxErr(ctx, err)
		}
		switch m.ID {
		case HandshakeError:
			return nil, peerError(m.Payload)
		case HandshakeDone:
			if !done || len(m.Payload) > 0 {
				if out, done, err = mech.Step(m.Payload); err != nil {
					return nil, err
				}
				if !done || len(out) > 0 {
					return nil, fmt.Errorf("%w: server finished before the client", ErrMalformed)
				}
			}
			return NewConn(conn, mech, nil), nil
		}
		if out, done, err = mech.Step(m.Payload); err != nil {
			return nil, err
		}
	}
}
