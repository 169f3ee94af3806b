package ipam

import "github.com/ipamd/ipamd/soap"

// The bodies a provisioning or conversion session sends whose bytes do not
// depend on the session: soap.FixedBody, so the codec sends them from a
// template encoded once per process (docs/performance.md, "Messages
// encoded once"). A key names everything the body's WriteBody writes; a
// nil body (which WriteBody refuses) has none;
// TestFixedKeysCoverTheFields fails when a member is added that a key does
// not cover.

// The flags of a fixed body's key.
const (
	fixedException uint8 = 1 << iota // Exception set: Text[0] its id, Text[1] its message
	fixedInner                       // Inner set: Text[2] its id, Text[3] its message
)

// maxFixedText bounds the text a key carries: the key is kept in a
// process-wide table. Longer exception texts are encoded as usual.
const maxFixedText = MaxExceptionMessageBytes

// FixedKey implements soap.FixedBody.
func (v *InitializeAsyncProvisioningResponse) FixedKey() (soap.BodyKey, bool) {
	return soap.BodyKey{Name: "InitializeAsyncProvisioningResponse"}, v != nil
}

// FixedKey implements soap.FixedBody.
func (v *InitializeAsyncSchemaConversionResponse) FixedKey() (soap.BodyKey, bool) {
	return soap.BodyKey{Name: "InitializeAsyncSchemaConversionResponse"}, v != nil
}

// FixedKey implements soap.FixedBody.
func (v *NotifyAsyncProvisionStart) FixedKey() (soap.BodyKey, bool) {
	return soap.BodyKey{Name: "NotifyAsyncProvisionStart"}, v != nil
}

// FixedKey implements soap.FixedBody.
func (v *NotifyAsyncSchemaConversionStart) FixedKey() (soap.BodyKey, bool) {
	return soap.BodyKey{Name: "NotifyAsyncSchemaConversionStart"}, v != nil
}

// FixedKey implements soap.FixedBody: a checkpoint without data.
func (v *NotifyAsyncProvisionCheckpoint) FixedKey() (soap.BodyKey, bool) {
	return soap.BodyKey{Name: "NotifyAsyncProvisionCheckpoint"}, v != nil && v.Data == nil
}

// FixedKey implements soap.FixedBody: a checkpoint without data.
func (v *NotifyAsyncSchemaConversionCheckpoint) FixedKey() (soap.BodyKey, bool) {
	return soap.BodyKey{Name: "NotifyAsyncSchemaConversionCheckpoint"}, v != nil && v.Data == nil
}

// FixedKey implements soap.FixedBody: a Complete without a result, with no
// exception (success) or one.
func (v *NotifyAsyncProvisionComplete) FixedKey() (soap.BodyKey, bool) {
	if v == nil {
		return soap.BodyKey{}, false
	}
	return completeKey("NotifyAsyncProvisionComplete", v.Result, v.Exception)
}

// FixedKey implements soap.FixedBody: a Complete without a result, with no
// exception (success) or one.
func (v *NotifyAsyncSchemaConversionComplete) FixedKey() (soap.BodyKey, bool) {
	if v == nil {
		return soap.BodyKey{}, false
	}
	return completeKey("NotifyAsyncSchemaConversionComplete", v.Result, v.Exception)
}

func completeKey(body string, result AnyIpamObject, e *IpamException) (soap.BodyKey, bool) {
	k := soap.BodyKey{Name: body}
	if result != nil {
		return k, false
	}
	if e == nil {
		return k, true
	}
	k.Flags |= fixedException
	k.Text[0], k.Text[1] = e.ExceptionID, e.Message
	if in := e.Inner; in != nil {
		if in.Inner != nil {
			return k, false
		}
		k.Flags |= fixedInner
		k.Text[2], k.Text[3] = in.ExceptionID, in.Message
	}
	if len(k.Text[0])+len(k.Text[1])+len(k.Text[2])+len(k.Text[3]) > 2*maxFixedText {
		return k, false
	}
	return k, true
}
