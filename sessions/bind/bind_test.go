package bind

import "github.com/ipamd/ipamd/sessions"

// Both bindings satisfy the one contract.
var (
	_ sessions.Transport = (*netTCP)(nil)
	_ sessions.Transport = (*httpTransport)(nil)
)
