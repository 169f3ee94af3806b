// Package bind binds the transports to the session layer: one file per
// transport (nettcp.go: duplex/nmf, http.go: duplex/soaphttp), each a thin
// sessions.Transport over that transport's session plus the router the
// transport's server asks for an endpoint.
//
// It is its own package so that imports point down: sessions knows only
// its Transport contract (and soap, security), the duplex transports know
// nothing of sessions, and this package, which may import both, is the only
// place that knows both. A third transport is one more file here.
package bind
