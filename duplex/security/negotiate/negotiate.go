// Package negotiate is the acceptor (and a Go initiator) of WCF's Windows
// transport security: SPNEGO ([MS-SPNG]) over [MS-NNS], with Kerberos V5
// (service keytab) and NTLMv2 (account file) as mechanisms; raw Kerberos
// and raw NTLM tokens, which .NET's NegotiateStream may send, are accepted
// as well. It plugs into nns.Upgrader as its Mechanism.
//
// Mechanism choice follows RFC 4178: the client's optimistic token is used
// when its preferred mechanism is one we offer. When it prefers one we do
// not (Kerberos without a keytab, NEGOEX) but lists NTLM, we answer with
// supportedMech NTLM and no token, and the client restarts with NTLM; then
// the mechListMIC is mandatory, so that an attacker cannot strip the
// client's preferred mechanism unnoticed. Kerberos is only chosen as the
// client's first mechanism (as Windows and MIT send it) and a Kerberos
// mechListMIC is not implemented: a client that sends one is refused.
package negotiate

import (
	"bytes"
	"context"
	"encoding/asn1"
	"errors"
	"fmt"
	"net"

	"github.com/ipamd/ipamd/duplex/security"
	"github.com/ipamd/ipamd/duplex/security/krb5"
	"github.com/ipamd/ipamd/duplex/security/nns"
	"github.com/ipamd/ipamd/duplex/security/ntlm"
	"github.com/ipamd/ipamd/duplex/security/spnego"
)

// Errors with their HandshakeError codes.
var (
	ErrNoMechanism = &hresultError{msg: "negotiate: no supported mechanism offered (NTLM)", code: nns.SecEUnsupportedFunction}
	ErrMechListMIC = &hresultError{msg: "negotiate: mechListMIC missing or wrong", code: nns.SecELogonDenied}
)

type hresultError struct {
	msg  string
	code uint32
	err  error
}

func (e *hresultError) Error() string {
	if e.err != nil {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}
func (e *hresultError) Unwrap() error   { return e.err }
func (e *hresultError) HResult() uint32 { return e.code }

// withCode attaches the HandshakeError code for an NTLM error.
func withCode(err error) error {
	code := nns.SecEInvalidToken
	switch {
	case errors.Is(err, ntlm.ErrLogonDenied):
		code = nns.SecELogonDenied
	case errors.Is(err, ntlm.ErrWeakKey):
		code = nns.SecEAlgorithmMismatch
	case errors.Is(err, ntlm.ErrUnsupported):
		code = nns.SecEUnsupportedFunction
	}
	return &hresultError{msg: "negotiate", code: code, err: err}
}

// Config configures acceptors. A mechanism is offered when configured:
// NTLM with NTLM.Accounts set, Kerberos with Kerberos set.
type Config struct {
	NTLM     ntlm.Config
	Kerberos *krb5.Config
}

// NewUpgrader returns the nns upgrader for cfg.
func NewUpgrader(cfg Config, opts nns.Upgrader) *nns.Upgrader {
	opts.NewMechanism = func(remote net.Addr) (nns.Mechanism, error) { return NewAcceptor(cfg, remote), nil }
	return &opts
}

type state int

const (
	stStart state = iota
	stAwaitNegotiate
	stAwaitAuthenticate
	stDone
)

// Acceptor is one server-side context.
type Acceptor struct {
	cfg      Config
	remote   net.Addr
	st       state
	spnego   bool
	mechsDER []byte
	needMIC  bool // the client's preferred mechanism was not chosen
	ntlm     *ntlm.Acceptor
	session  *ntlm.Session
	krb      *krb5.Context
	id       *security.Identity
}

// NewAcceptor starts a context for a client at remote.
func NewAcceptor(cfg Config, remote net.Addr) *Acceptor {
	return &Acceptor{cfg: cfg, remote: remote, ntlm: ntlm.NewAcceptor(cfg.NTLM)}
}

// Step implements nns.Mechanism.
func (a *Acceptor) Step(tok []byte) ([]byte, bool, error) {
	switch a.st {
	case stStart:
		if krb5.IsToken(tok) {
			if a.cfg.Kerberos == nil {
				return nil, false, ErrNoMechanism
			}
			reply, err := a.kerberos(tok)
			return reply, err == nil, err
		}
		if bytes.HasPrefix(tok, []byte("NTLMSSP\x00")) {
			if a.cfg.NTLM.Accounts == nil {
				return nil, false, ErrNoMechanism
			}
			ch, err := a.ntlm.Challenge(tok)
			if err != nil {
				return nil, false, withCode(err)
			}
			a.st = stAwaitAuthenticate
			return ch, false, nil
		}
		in, err := spnego.ParseInit(tok)
		if err != nil {
			return nil, false, withCode(err)
		}
		a.spnego, a.mechsDER = true, in.MechTypesDER
		first := in.MechTypes[0]
		if a.cfg.Kerberos != nil && (first.Equal(spnego.OIDKRB5) || first.Equal(spnego.OIDMSKRB5)) && in.MechToken != nil {
			if in.MechListMIC != nil {
				return nil, false, ErrMechListMIC
			}
			reply, err := a.kerberos(in.MechToken)
			if err != nil {
				return nil, false, err
			}
			// supportedMech echoes the OID the client listed (Windows
			// expects the MS-KRB5 OID back when it sent that one).
			return (&spnego.Resp{State: spnego.AcceptCompleted, SupportedMech: first, ResponseToken: reply}).Marshal(), true, nil
		}
		idx := -1
		for i, m := range in.MechTypes {
			if m.Equal(spnego.OIDNTLM) && a.cfg.NTLM.Accounts != nil {
				idx = i
				break
			}
		}
		switch {
		case idx < 0:
			return nil, false, ErrNoMechanism
		case idx > 0 || in.MechToken == nil:
			// Not the client's first choice (or no optimistic token): name
			// NTLM and wait for its NEGOTIATE.
			a.needMIC = idx > 0
			a.st = stAwaitNegotiate
			return (&spnego.Resp{State: spnego.AcceptIncomplete, SupportedMech: spnego.OIDNTLM}).Marshal(), false, nil
		}
		return a.challenge(in.MechToken)
	case stAwaitNegotiate:
		r, err := spnego.ParseResp(tok)
		if err != nil {
			return nil, false, withCode(err)
		}
		return a.challenge(r.ResponseToken)
	case stAwaitAuthenticate:
		if !a.spnego {
			res, err := a.ntlm.Authenticate(tok)
			if err != nil {
				return nil, false, withCode(err)
			}
			a.finish(res)
			return nil, true, nil
		}
		r, err := spnego.ParseResp(tok)
		if err != nil {
			return nil, false, withCode(err)
		}
		res, err := a.ntlm.Authenticate(r.ResponseToken)
		if err != nil {
			return nil, false, withCode(err)
		}
		// MS-SPNG 3.2.5.1: the mechListMIC is required when the NTLM MIC
		// is present or the preferred mechanism was not chosen.
		if r.MechListMIC == nil {
			if res.MICPresent || a.needMIC {
				return nil, false, ErrMechListMIC
			}
			a.finish(res)
			return (&spnego.Resp{State: spnego.AcceptCompleted}).Marshal(), true, nil
		}
		if err := res.Session.VerifyMIC(a.mechsDER, r.MechListMIC); err != nil {
			return nil, false, &hresultError{msg: ErrMechListMIC.msg, code: ErrMechListMIC.code, err: err}
		}
		mic := res.Session.MIC(a.mechsDER)
		res.Session.ResetCiphers()
		a.finish(res)
		return (&spnego.Resp{State: spnego.AcceptCompleted, MechListMIC: mic}).Marshal(), true, nil
	}
	return nil, false, withCode(errors.New("token after the context was established"))
}

// kerberos accepts an AP-REQ token and returns the AP-REP token.
func (a *Acceptor) kerberos(tok []byte) ([]byte, error) {
	reply, ctx, err := krb5.Accept(*a.cfg.Kerberos, tok, a.remote)
	if err != nil {
		code := nns.SecEInvalidToken
		switch {
		case errors.Is(err, krb5.ErrLogonDenied):
			code = nns.SecELogonDenied
		case errors.Is(err, krb5.ErrUnsupported):
			code = nns.SecEUnsupportedFunction
		}
		return nil, &hresultError{msg: "negotiate: kerberos", code: code, err: err}
	}
	a.st, a.krb = stDone, ctx
	a.id = &security.Identity{Mechanism: security.MechanismKerberos, Name: ctx.Client, SIDs: ctx.SIDs, Loopback: isLoopback(a.remote)}
	return reply, nil
}

func isLoopback(addr net.Addr) bool {
	ta, ok := addr.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

func (a *Acceptor) challenge(negotiate []byte) ([]byte, bool, error) {
	if negotiate == nil {
		return nil, false, withCode(errors.New("no NTLM NEGOTIATE token"))
	}
	ch, err := a.ntlm.Challenge(negotiate)
	if err != nil {
		return nil, false, withCode(err)
	}
	a.st = stAwaitAuthenticate
	return (&spnego.Resp{State: spnego.AcceptIncomplete, SupportedMech: spnego.OIDNTLM, ResponseToken: ch}).Marshal(), false, nil
}

func (a *Acceptor) finish(res *ntlm.Result) {
	a.st = stDone
	a.session = res.Session
	a.id = &security.Identity{Mechanism: security.MechanismNTLM, Name: res.Name(), Loopback: isLoopback(a.remote)}
}

// Identity implements nns.Mechanism.
func (a *Acceptor) Identity() *security.Identity { return a.id }

// Wrap implements nns.Protector.
func (a *Acceptor) Wrap(p []byte) ([]byte, error) {
	if a.krb != nil {
		return a.krb.Wrap(p)
	}
	if a.session == nil {
		return nil, errors.New("negotiate: no context")
	}
	return a.session.Seal(p), nil
}

// Unwrap implements nns.Protector.
func (a *Acceptor) Unwrap(t []byte) ([]byte, error) {
	if a.krb != nil {
		return a.krb.Unwrap(t)
	}
	if a.session == nil {
		return nil, errors.New("negotiate: no context")
	}
	return a.session.Unseal(t)
}

// NTLMInitiator is a Go client context: NTLM, raw or inside SPNEGO.
type NTLMInitiator struct {
	Client *ntlm.Client
	SPNEGO bool

	step     int
	mechsDER []byte
	session  *ntlm.Session
}

// Step implements nns.Initiator.
func (c *NTLMInitiator) Step(tok []byte) ([]byte, bool, error) {
	c.step++
	switch c.step {
	case 1:
		neg := c.Client.Negotiate()
		if !c.SPNEGO {
			return neg, false, nil
		}
		init, err := spnego.MarshalInit(mechNTLM, neg)
		if err != nil {
			return nil, false, err
		}
		in, _ := spnego.ParseInit(init)
		c.mechsDER = in.MechTypesDER
		return init, false, nil
	case 2:
		ch := tok
		if c.SPNEGO {
			r, err := spnego.ParseResp(tok)
			if err != nil {
				return nil, false, err
			}
			ch = r.ResponseToken
		}
		auth, s, err := c.Client.Authenticate(ch, c.SPNEGO)
		if err != nil {
			return nil, false, err
		}
		c.session = s
		if !c.SPNEGO {
			return auth, true, nil
		}
		mic := s.MIC(c.mechsDER)
		return (&spnego.Resp{State: spnego.AcceptIncomplete, ResponseToken: auth, MechListMIC: mic}).Marshal(), false, nil
	case 3:
		if !c.SPNEGO {
			break
		}
		r, err := spnego.ParseResp(tok)
		if err != nil {
			return nil, false, err
		}
		if r.State != spnego.AcceptCompleted {
			return nil, false, fmt.Errorf("negotiate: server state %d", r.State)
		}
		if err := c.session.VerifyMIC(c.mechsDER, r.MechListMIC); err != nil {
			return nil, false, err
		}
		c.session.ResetCiphers()
		return nil, true, nil
	}
	return nil, false, errors.New("negotiate: unexpected token")
}

var mechNTLM = []asn1.ObjectIdentifier{spnego.OIDNTLM}

// Wrap implements nns.Protector.
func (c *NTLMInitiator) Wrap(p []byte) ([]byte, error) { return c.session.Seal(p), nil }

// Unwrap implements nns.Protector.
func (c *NTLMInitiator) Unwrap(t []byte) ([]byte, error) { return c.session.Unseal(t) }

// NTLMUpgrade is the client side of a NegotiateStream upgrade with NTLMv2
// for nmf.Dialer.Upgrade (`ipamd provision|convert|status --security
// negotiate`): SPNEGO-wrapped, as a WCF client offers it, unless Raw. Each
// connection authenticates afresh.
type NTLMUpgrade struct {
	Domain, User string
	NTHash       [16]byte
	Workstation  string
	Raw          bool
}

// Kind implements nmf.ClientUpgrade.
func (u *NTLMUpgrade) Kind() string { return nns.Kind }

// Upgrade implements nmf.ClientUpgrade.
func (u *NTLMUpgrade) Upgrade(ctx context.Context, nc net.Conn) (net.Conn, error) {
	ini := &NTLMInitiator{SPNEGO: !u.Raw, Client: &ntlm.Client{
		Domain: u.Domain, User: u.User, NTHash: u.NTHash, Workstation: u.Workstation}}
	c, err := nns.Initiate(ctx, nc, ini)
	if err != nil {
		return nil, err
	}
	return c, nil
}
