package sessions_test

import (
	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/duplex/soaphttp"
	"github.com/ipamd/ipamd/sessions"
	"github.com/ipamd/ipamd/sessions/bind"
)

// The semantics tests (semantics_test.go) run on the real transports
// through their bindings; package bind imports sessions, so only this
// external test package can hand them over.
func init() {
	sessions.SetTransportRouters(func(m *sessions.Manager) (nmf.Router, soaphttp.Router) {
		return bind.NetTCP(m), bind.HTTP(m)
	})
}
