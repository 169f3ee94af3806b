package sessions

import (
	"context"
	"testing"
	"time"

	"github.com/ipamd/ipamd/duplex/security"
	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

type expiryRecorder struct {
	NopObserver
	reasons chan string
}

func (e expiryRecorder) SessionExpired(reason string) { e.reasons <- reason }

// startObservedSession is startSession with a port observer.
func startObservedSession(t *testing.T, b *Binding, opts Options, obs PortObserver, id *security.Identity) *harness {
	t.Helper()
	h := &harness{t: t, conn: newMemTransport(soap.EncodingText, opts.Limits, id), client: soap.NewCodec(soap.EncodingText, soap.Limits{}),
		reader: soap.NewCodec(soap.EncodingText, soap.Limits{}), done: make(chan error, 1)}
	h.s = newSession(context.Background(), b, h.conn, opts)
	h.s.obs = obs
	go func() { h.done <- h.s.Serve() }()
	t.Cleanup(func() {
		h.conn.Abort()
		select {
		case <-h.done:
		case <-time.After(5 * time.Second):
			t.Error("session did not end")
		}
	})
	return h
}

// TestUninitializedTimeout: Keepalives keep an initialized session alive,
// but not one that never initialized: that one is aborted once
// UninitializedTimeout has passed (checked at the InactivityTimer's ticks).
func TestUninitializedTimeout(t *testing.T) {
	const bound = 150 * time.Millisecond
	carol := &security.Identity{Mechanism: security.MechanismKerberos, Name: "carol@IPAM.TEST"}
	for _, tc := range []struct {
		name       string
		initialize bool
		caller     *security.Identity // nil: security none (an administrator)
		wantAbort  bool
	}{
		{"keepalives only", false, nil, true},
		{"initialized", true, nil, false},
		{"not an administrator: Initialize refused", true, carol, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := expiryRecorder{reasons: make(chan string, 1)}
			start := time.Now() // before Serve starts its clock, which may run at once
			h := startObservedSession(t, provisionBinding(services.NewMemory(false, false), time.Second, ""),
				Options{InactivityInterval: 20 * time.Millisecond, KeepaliveGraceCount: 2, UninitializedTimeout: bound,
					Authorizer: &services.RoleAuthorizer{}}, rec, tc.caller)
			if tc.initialize {
				h.send(ipam.ActionInitializeAsyncProvisioning, true, initRequest())
				if r, _ := h.next(); (r.fault != nil) != (tc.caller != nil) {
					t.Fatalf("Initialize: %+v", r)
				}
			}
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			deadline := time.After(4 * bound)
			for {
				select {
				case <-tick.C:
					h.send(ipam.ActionKeepalive, false, emptyBody{})
					continue
				case <-h.conn.aborted:
					d := time.Since(start)
					if !tc.wantAbort {
						t.Fatalf("initialized session aborted after %v", d)
					}
					if d < bound {
						t.Fatalf("aborted after %v, before the bound %v", d, bound)
					}
					if r := <-rec.reasons; r != ExpiredUninitialized {
						t.Fatalf("expiry reason %q", r)
					}
				case <-deadline:
					if tc.wantAbort {
						t.Fatalf("a session sending only Keepalives was still open after %v", 4*bound)
					}
				}
				return
			}
		})
	}
}
