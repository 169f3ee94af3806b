package ipam

import "github.com/ipamd/ipamd/soap/xmlstream"

// Decoders of the callback bodies, for clients of the two port types (the
// server only writes them). Each checks the wrapper element its constructor
// named, so a NotifyStart made by NewNotifyAsyncProvisionStart refuses a
// NotifyAsyncSchemaConversionStart body.

// ReadBody checks the (memberless) Notify…Start wrapper.
func (m *NotifyStart) ReadBody(r xmlstream.Reader) error {
	if m.element == "" {
		return invalid("NotifyStart has no element name: make it with a NewNotify… constructor")
	}
	return readEmpty(r, m.element)
}

// ReadBody checks the Notify…Checkpoint wrapper and skips its data (an
// ArrayOfIpamObject whose content the spec leaves open).
func (m *NotifyCheckpoint) ReadBody(r xmlstream.Reader) error {
	if m.element == "" {
		return invalid("NotifyCheckpoint has no element name: make it with a NewNotify… constructor")
	}
	return readEmpty(r, m.element)
}

// ReadBody decodes Notify…Complete: Exception is nil for success (exception
// absent or i:nil), otherwise the IpamException. The result member, whose
// content the spec leaves open, is skipped.
func (m *NotifyComplete) ReadBody(r xmlstream.Reader) error {
	if m.element == "" {
		return invalid("NotifyComplete has no element name: make it with a NewNotify… constructor")
	}
	if _, err := wrapper(r, m.element); err != nil {
		return err
	}
	m.Exception = nil
	seen := false
	for {
		n, err := xmlstream.NextStart(r)
		if err != nil {
			return err
		}
		if n == nil {
			return nil
		}
		if n.Name.Local != "exception" || n.Name.Space != Namespace || xmlstream.IsNil(n) {
			if err := xmlstream.Skip(r); err != nil {
				return err
			}
			continue
		}
		if seen {
			return invalid("<exception> appears twice in %s", m.element)
		}
		seen = true
		if m.Exception, err = ReadException(r); err != nil {
			return err
		}
	}
}
