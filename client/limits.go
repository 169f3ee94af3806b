package client

import "github.com/ipamd/ipamd/soap"

// clientMaxExpansion is the client's default bound on what one binary
// message of the server decodes to (soap.Limits.MaxExpansion): rows whose
// names are session string ids (docs/protocol.md, rule T16) decode to
// between 3× and 4× their bytes when most members are nil, close to the
// server-side default of 4 set for what clients send (a row type with
// longer nil members would pass it). A 64 KiB message still decodes to at
// most 512 KiB.
const clientMaxExpansion = 8

// sessionLimits are the decoder quotas of one session's codec: Limits,
// with Dialer.MaxMessageSize's default message size and clientMaxExpansion
// where they are zero.
func (c *Client) sessionLimits() soap.Limits {
	lim := c.Limits
	if lim.MaxMessageBytes <= 0 {
		lim.MaxMessageBytes = max(c.Dialer.MaxMessageSize, 65536)
	}
	if lim.MaxExpansion <= 0 {
		lim.MaxExpansion = clientMaxExpansion
	}
	return lim
}
