// Package negotiate is the acceptor (and a Go initiator) of WCF's Windows
// transport security: SPNEGO ([MS-SPNG]) over [MS-NNS], with Kerberos V5
// (service keytab) and NTLMv2 (account file) as mechanisms; raw Kerberos
// and raw NTLM tokens, which .NET's NegotiateStream may send, are accepted
// as well. It plugs into nns.Upgrader as its Mechanism.
//
// Mechanism choice follows RFC 4178: we choose the first mechanism of the
// client's list that we offer, and use its optimistic token when that is
// the client's first. Otherwise (it prefers one we do not offer, such as
// NEGOEX, or sent no token) we answer with supportedMech and no token and
// the client restarts with the chosen mechanism; then the mechListMIC
// exchange is mandatory, so that an attacker cannot strip the client's
// preferred mechanism unnoticed. With Kerberos our MIC travels beside the
// AP-REP (accept-incomplete) and the client's follows in a third message;
// a client that sends a MIC on its own (beside its AP-REQ) has it verified
// and gets ours. MICs are RFC 4121 MIC tokens over the DER of the client's
// mechTypes, in the context's sequence numbers.
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
	stAwaitAPReq  // SPNEGO chose Kerberos without the client's token
	stAwaitKrbMIC // our Kerberos mechListMIC is sent, the client's is due
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
	replied  bool // a NegTokenResp went out (supportedMech only in the first)
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
		idx, mech := a.choose(in.MechTypes)
		if idx < 0 {
			return nil, false, ErrNoMechanism
		}
		a.needMIC = idx > 0
		if idx > 0 || in.MechToken == nil {
			// Not the client's first choice (or no optimistic token): name
			// the mechanism and wait for its first token. supportedMech
			// echoes the OID the client listed (Windows expects the MS-KRB5
			// OID back when it sent that one).
			a.st = stAwaitNegotiate
			if isKerberos(mech) {
				a.st = stAwaitAPReq
			}
			// RFC 4178 4.2.2: request-mic when we chose other than the
			// client's first (MIT refuses accept-incomplete there).
			state := spnego.AcceptIncomplete
			if a.needMIC {
				state = spnego.RequestMIC
			}
			a.replied = true
			return (&spnego.Resp{State: state, SupportedMech: mech}).Marshal(), false, nil
		}
		if isKerberos(mech) {
			return a.kerberosSPNEGO(mech, in.MechToken, in.MechListMIC)
		}
		return a.challenge(in.MechToken)
	case stAwaitAPReq:
		r, err := spnego.ParseResp(tok)
		if err != nil {
			return nil, false, withCode(err)
		}
		if r.ResponseToken == nil {
			return nil, false, withCode(errors.New("no Kerberos AP-REQ"))
		}
		return a.kerberosSPNEGO(nil, r.ResponseToken, r.MechListMIC)
	case stAwaitKrbMIC:
		r, err := spnego.ParseResp(tok)
		if err != nil {
			return nil, false, withCode(err)
		}
		if r.MechListMIC == nil {
			return nil, false, ErrMechListMIC
		}
		if err := a.krb.VerifyMIC(a.mechsDER, r.MechListMIC); err != nil {
			return nil, false, &hresultError{msg: ErrMechListMIC.msg, code: ErrMechListMIC.code, err: err}
		}
		a.st = stDone
		return (&spnego.Resp{State: spnego.AcceptCompleted}).Marshal(), true, nil
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

// choose returns the first of the client's mechanisms that we offer, with
// its index in the client's list, or -1.
func (a *Acceptor) choose(mechs []asn1.ObjectIdentifier) (int, asn1.ObjectIdentifier) {
	for i, m := range mechs {
		if (isKerberos(m) && a.cfg.Kerberos != nil) || (m.Equal(spnego.OIDNTLM) && a.cfg.NTLM.Accounts != nil) {
			return i, m
		}
	}
	return -1, nil
}

func isKerberos(m asn1.ObjectIdentifier) bool {
	return m.Equal(spnego.OIDKRB5) || m.Equal(spnego.OIDMSKRB5)
}

// kerberosSPNEGO accepts an AP-REQ under SPNEGO and answers with the AP-REP
// and the mechListMIC exchange RFC 4178 asks for: a client MIC sent with
// the AP-REQ is verified and answered with ours; when the MIC is
// mandatory and the client sent none, ours goes with the AP-REP and the
// client's is awaited; otherwise no MIC. mech is the supportedMech of a
// first reply, nil in a later one.
func (a *Acceptor) kerberosSPNEGO(mech asn1.ObjectIdentifier, apreq, clientMIC []byte) ([]byte, bool, error) {
	reply, err := a.kerberos(apreq)
	if err != nil {
		return nil, false, err
	}
	resp := &spnego.Resp{State: spnego.AcceptCompleted, ResponseToken: reply}
	if !a.replied {
		resp.SupportedMech = mech
	}
	a.replied = true
	switch {
	case clientMIC != nil:
		if err := a.krb.VerifyMIC(a.mechsDER, clientMIC); err != nil {
			return nil, false, &hresultError{msg: ErrMechListMIC.msg, code: ErrMechListMIC.code, err: err}
		}
	case !a.needMIC:
		return resp.Marshal(), true, nil
	default:
		resp.State = spnego.AcceptIncomplete
		a.st = stAwaitKrbMIC
	}
	if resp.MechListMIC, err = a.krb.GetMIC(a.mechsDER); err != nil {
		return nil, false, withCode(err)
	}
	return resp.Marshal(), a.st == stDone, nil
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
		init, err := spnego.MarshalInit(mechNTLM, neg, nil)
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

// KerberosInitiator is a Go client context for Kerberos, raw or inside
// SPNEGO, from a service ticket the caller holds (krb5.Initiator). Under
// SPNEGO it lists MechTypes (default: Kerberos only) and sends the AP-REQ
// optimistically when Kerberos comes first, else once the acceptor chose
// it. It verifies the acceptor's mechListMIC and answers it with its own;
// with EarlyMIC it sends its MIC beside the AP-REQ unasked (keyed with its
// own subkey, as it has not seen the AP-REP yet) and requires the
// acceptor's in return.
type KerberosInitiator struct {
	Krb       *krb5.Initiator
	SPNEGO    bool
	MechTypes []asn1.ObjectIdentifier
	EarlyMIC  bool

	mechsDER []byte
	ctx      *krb5.Context
	micSent  bool
	micSeen  bool
}

// Step implements nns.Initiator.
func (c *KerberosInitiator) Step(tok []byte) ([]byte, bool, error) {
	if !c.SPNEGO {
		if tok == nil {
			ap, err := c.Krb.Token()
			return ap, false, err
		}
		ctx, err := c.Krb.Complete(tok)
		c.ctx = ctx
		return nil, err == nil, err
	}
	if tok == nil {
		return c.init()
	}
	r, err := spnego.ParseResp(tok)
	if err != nil {
		return nil, false, err
	}
	if r.State == spnego.Reject {
		return nil, false, errors.New("negotiate: acceptor rejected the negotiation")
	}
	if c.ctx == nil {
		if r.ResponseToken == nil {
			// The acceptor chose Kerberos without our token: send the AP-REQ.
			if !isKerberos(r.SupportedMech) {
				return nil, false, fmt.Errorf("negotiate: acceptor chose %v", r.SupportedMech)
			}
			ap, err := c.Krb.Token()
			if err != nil {
				return nil, false, err
			}
			return (&spnego.Resp{State: spnego.AcceptIncomplete, ResponseToken: ap}).Marshal(), false, nil
		}
		if c.ctx, err = c.Krb.Complete(r.ResponseToken); err != nil {
			return nil, false, err
		}
	}
	if r.MechListMIC != nil {
		if c.micSeen {
			return nil, false, errors.New("negotiate: second mechListMIC")
		}
		if err := c.ctx.VerifyMIC(c.mechsDER, r.MechListMIC); err != nil {
			return nil, false, err
		}
		c.micSeen = true
		if !c.micSent {
			mic, err := c.ctx.GetMIC(c.mechsDER)
			if err != nil {
				return nil, false, err
			}
			c.micSent = true
			return (&spnego.Resp{State: spnego.AcceptIncomplete, MechListMIC: mic}).Marshal(), false, nil
		}
	}
	switch {
	case r.State != spnego.AcceptCompleted:
		return nil, false, fmt.Errorf("negotiate: acceptor state %d without a mechListMIC", r.State)
	case c.micSent && !c.micSeen:
		return nil, false, errors.New("negotiate: acceptor did not answer our mechListMIC")
	}
	return nil, true, nil
}

func (c *KerberosInitiator) init() ([]byte, bool, error) {
	mechs := c.MechTypes
	if len(mechs) == 0 {
		mechs = []asn1.ObjectIdentifier{spnego.OIDKRB5}
	}
	list, err := asn1.Marshal(mechs)
	if err != nil {
		return nil, false, err
	}
	c.mechsDER = list
	if !isKerberos(mechs[0]) {
		init, err := spnego.MarshalInit(mechs, nil, nil)
		return init, false, err
	}
	ap, err := c.Krb.Token()
	if err != nil {
		return nil, false, err
	}
	var mic []byte
	if c.EarlyMIC {
		if mic, err = c.Krb.EarlyMIC(c.mechsDER); err != nil {
			return nil, false, err
		}
		c.micSent = true
	}
	init, err := spnego.MarshalInit(mechs, ap, mic)
	return init, false, err
}

// Wrap implements nns.Protector.
func (c *KerberosInitiator) Wrap(p []byte) ([]byte, error) { return c.ctx.Wrap(p) }

// Unwrap implements nns.Protector.
func (c *KerberosInitiator) Unwrap(t []byte) ([]byte, error) { return c.ctx.Unwrap(t) }

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
