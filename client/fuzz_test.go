package client

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// FuzzServerMessages plays arbitrary server messages (text encoding, split
// at NUL bytes) to a provisioning client: the client must end with a result
// or an error, never panic, report events in a legal order, and call
// nothing a success that did not complete. The messages come from
// replayConn, not a socket, so an execution costs microseconds; the framing
// reader under it has its own fuzz target (nmf.FuzzClientRecords), and
// TestServerProtocolViolations runs such sequences over real framing.
func FuzzServerMessages(f *testing.F) {
	cb := ipam.ProvisionCallbackActions(ipam.CallbackActionsService)
	cbAlt := ipam.ProvisionCallbackActions(ipam.CallbackActionsCallback)
	reply := encode(f, soap.Header{Action: ipam.ActionInitializeAsyncProvisioningResponse, RelatesTo: fixedID}, &ipam.InitializeAsyncProvisioningResponse{})
	start := encode(f, soap.Header{Action: cb.Start, To: soap.AddressAnonymous}, &ipam.NotifyAsyncProvisionStart{})
	checkpoint := encode(f, soap.Header{Action: cbAlt.Checkpoint}, &ipam.NotifyAsyncProvisionCheckpoint{})
	done := encode(f, soap.Header{Action: cb.Complete}, &ipam.NotifyAsyncProvisionComplete{})
	failed := encode(f, soap.Header{Action: cb.Complete}, &ipam.NotifyAsyncProvisionComplete{
		Exception: &ipam.IpamException{ExceptionID: ipam.IpamApiUnabletoProvisionIpam, Message: "m", Inner: ipam.NewException("x", "y")}})
	fault := soap.SenderFault("refused")
	fault.Detail = ipam.FaultDetail{Exception: ipam.NewException(ipam.IpamApiAccessDenied, "no")}
	faulted := encode(f, soap.Header{Action: ipam.ActionInitializeAsyncProvisioningResponse, RelatesTo: fixedID}, fault)
	keepalive := encode(f, soap.Header{Action: ipam.ActionKeepalive}, nil)
	join := func(ps ...[]byte) []byte { return bytes.Join(ps, []byte{0}) }
	f.Add(join(reply, start, checkpoint, checkpoint, done))
	f.Add(join(reply, start, failed))
	f.Add(join(keepalive, reply, done))
	f.Add(join(faulted))
	f.Add(join(reply, checkpoint))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		msgs := bytes.Split(data, []byte{0})
		if len(msgs) > 16 || len(data) > 16<<10 {
			return
		}
		c := &Client{newMessageID: fixedMessageID, KeepaliveInterval: -1}
		var log eventLog
		res, err := c.Provision(context.Background(), &replayConn{msgs: msgs}, nil, &log)
		if err == nil && !res.Completed {
			t.Fatal("success without Notify…Complete")
		}
		kinds := log.kinds()
		checkpoints := 0
		for i, k := range kinds {
			ok := false
			switch k {
			case EventInitialized:
				ok = i == 0
			case EventStarted:
				ok = i == 1
			case EventCheckpoint:
				ok = i >= 2 && kinds[1] == EventStarted
				checkpoints++
			case EventCompleted:
				ok = i == len(kinds)-1 && res.Completed
			}
			if !ok {
				t.Fatalf("event %v at %d in %v", k, i, kinds)
			}
		}
		if checkpoints != res.Checkpoints {
			t.Fatalf("%d checkpoint events, result says %d", checkpoints, res.Checkpoints)
		}
	})
}

// replayConn is a Conn whose reads return msgs in order and then io.EOF (the
// server's End); writes are accepted and dropped.
type replayConn struct {
	msgs    [][]byte
	aborted bool
}

func (c *replayConn) ReadMessage(context.Context) ([]byte, error) {
	if c.aborted {
		return nil, nmf.ErrAborted
	}
	if len(c.msgs) == 0 {
		return nil, io.EOF
	}
	p := c.msgs[0]
	c.msgs = c.msgs[1:]
	return p, nil
}

func (c *replayConn) WriteMessage(context.Context, []byte) error {
	if c.aborted {
		return nmf.ErrAborted
	}
	return nil
}

func (c *replayConn) Close(context.Context) error { return nil }
func (c *replayConn) Abort()                      { c.aborted = true }
func (c *replayConn) Via() string                 { return "net.tcp://h" + provisionPath }
func (c *replayConn) Encoding() nmf.Encoding      { return nmf.EncodingSOAP12UTF8 }
