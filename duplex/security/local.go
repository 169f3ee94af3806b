package security

import (
	"errors"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
)

// LocalAccount is the operating-system account that owns the client end
// of a loopback connection: what a listener without transport security can
// know about its caller (docs/security.md, "Local callers").
type LocalAccount struct {
	// User is the account: the decimal uid (Unix) or the user SID (Windows).
	User string
	// Name is the account name for logs ("" when it cannot be looked up).
	Name string
	// Groups are the account's groups: decimal gids, primary and
	// supplementary (Unix), or the enabled group SIDs of the process token
	// (Windows).
	Groups []string
	// Admin reports an administrator of the host: uid 0, or a token with
	// BUILTIN\Administrators enabled (an elevated one: a filtered UAC token
	// has it for deny only).
	Admin bool
}

// String is "uid=1001(alice)" or "S-1-5-21-…(HOST\alice)".
func (a *LocalAccount) String() string {
	if a == nil {
		return "unknown"
	}
	if a.Name == "" {
		return a.User
	}
	return a.User + "(" + a.Name + ")"
}

// ErrNoLocalAccount is wrapped by lookups that cannot name the owner of a
// connection (not loopback, the socket is gone, the table is unreadable).
var ErrNoLocalAccount = errors.New("the owner of the connection cannot be determined")

// PeerLookup finds the account owning the client end of the TCP connection
// from client to server (both as seen by the server: the accepted
// connection's remote and local addresses).
type PeerLookup func(client, server netip.AddrPort) (*LocalAccount, error)

// localPeer resolves a none-listener caller's account once, when an
// authorization first needs it.
type localPeer struct {
	once    sync.Once
	done    atomic.Bool
	lookup  func() (*LocalAccount, error)
	account *LocalAccount
	err     error
}

func (p *localPeer) get() (*LocalAccount, error) {
	p.once.Do(func() {
		p.account, p.err = p.lookup()
		p.done.Store(true)
	})
	return p.account, p.err
}

// NewLocalIdentity is the identity of a caller on a listener without
// transport security (MechanismNone) whose operating-system account lookup
// finds, on first use (LocalAccount), from the connection client→server.
// lookup nil: the account is not looked up (security.local_identity trust).
func NewLocalIdentity(client, server netip.AddrPort, lookup PeerLookup) *Identity {
	id := &Identity{Mechanism: MechanismNone, Loopback: client.Addr().Unmap().IsLoopback()}
	if lookup != nil {
		id.local = &localPeer{lookup: func() (*LocalAccount, error) {
			if !id.Loopback {
				return nil, errors.New("a remote caller has no local account")
			}
			return lookup(client, server)
		}}
	}
	return id
}

// LocalAccount is the operating-system account of a MechanismNone caller
// identified by NewLocalIdentity with a lookup, looked up on the first call;
// nil and an error wrapping ErrNoLocalAccount when it cannot be found, or
// when the identity was not made for a lookup.
func (id *Identity) LocalAccount() (*LocalAccount, error) {
	if id == nil || id.local == nil {
		return nil, ErrNoLocalAccount
	}
	return id.local.get()
}

// localString is the account for String, only when already looked up (a
// log line must not cause a lookup).
func (id *Identity) localString() string {
	if id.local == nil || !id.local.done.Load() {
		return ""
	}
	if id.local.account == nil {
		return "unknown"
	}
	return id.local.account.String()
}

// UnixAccount builds a LocalAccount for a uid and its gids.
func UnixAccount(uid uint32, name string, gids []string) *LocalAccount {
	return &LocalAccount{User: strconv.FormatUint(uint64(uid), 10), Name: name, Groups: gids, Admin: uid == 0}
}
