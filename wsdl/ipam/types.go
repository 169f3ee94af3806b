package ipam

import (
	"encoding/base64"
	"fmt"
	"strconv"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// EnumerationObjectType (2.2.5.46) says what kind of object enumeration
// parameters describe. Only the two values of the async port types are
// named here; every spec value is accepted on input.
type EnumerationObjectType string

const (
	EnumerationObjectTypeNone                  EnumerationObjectType = "None"
	EnumerationObjectTypeAsyncProvision        EnumerationObjectType = "AsyncProvision"
	EnumerationObjectTypeAsyncSchemaConversion EnumerationObjectType = "AsyncSchemaConversion"
)

var enumerationObjectTypes = map[string]bool{
	"None": true, "ServerInfo": true, "IPAddress": true, "IPRange": true, "IPBlock": true,
	"LogicalGroupData": true, "CustomField": true, "CustomFieldAssociation": true, "LogicalGroup": true,
	"LogicalGroupNode": true, "DiscoveredSubnets": true, "DhcpServer": true, "DhcpScope": true,
	"DhcpReservation": true, "DhcpVendorClass": true, "DhcpUserClass": true, "DhcpOptionDefinition": true,
	"DhcpOption": true, "DhcpExclusionRange": true, "ConfigurationAudit": true, "IPAudit": true,
	"DnsServerReverseZone": true, "DnsReverseLookupZone": true, "DnsServerZone": true, "DnsZone": true,
	"DnsServer": true, "DnsZoneEvent": true, "AsyncProvision": true, "AsyncSchemaConversion": true,
	"Operations": true, "UserRoles": true, "AddressSpace": true, "AccessScopes": true,
	"UserAccessPolicies": true, "IPSubnet": true, "DhcpPolicy": true, "DhcpFailover": true,
	"DhcpSuperscope": true, "DhcpFilter": true, "DnsResourceRecord": true, "DnsConditionalForwarder": true,
}

// ProvisioningMethod (2.2.5.83): how managed servers are provisioned.
type ProvisioningMethod string

const (
	ProvisioningMethodNone      ProvisioningMethod = "None"
	ProvisioningMethodAutomatic ProvisioningMethod = "Automatic"
	ProvisioningMethodManual    ProvisioningMethod = "Manual"
)

// IpamDatabaseType (2.2.5.73) picks the data store engine.
type IpamDatabaseType string

const (
	DatabaseTypeNotConfigured   IpamDatabaseType = "DatabaseTypeNotConfigured"
	DatabaseTypeWindowsInternal IpamDatabaseType = "WindowsInternalDatabase"
	DatabaseTypeMSSQLServer     IpamDatabaseType = "MSSQLServer"
)

// IpamDatabaseAuthenticationType (2.2.5.72) is how the external database
// authenticates ipamd.
type IpamDatabaseAuthenticationType string

const (
	AuthenticationNotConfigured IpamDatabaseAuthenticationType = "AuthenticationNotConfigured"
	WindowsAuthentication       IpamDatabaseAuthenticationType = "WindowsAuthentication"
	SQLAuthentication           IpamDatabaseAuthenticationType = "SQLAuthentication"
)

// EnumerationParameters is the polymorphic EnumerationParametersBase
// (2.2.4.229) family: the base type itself or IpamProvisioningEnumerationParameters.
type EnumerationParameters interface {
	Base() *EnumerationParametersBase
	writeXML(w xmlstream.Writer, prefix, local, space string) error
}

// EnumerationParametersBase (2.2.4.229).
type EnumerationParametersBase struct {
	FetchAllData             bool
	IncludeCustomFieldValues bool
	ObjectType               EnumerationObjectType
}

// Base returns p itself.
func (p *EnumerationParametersBase) Base() *EnumerationParametersBase { return p }

// IpamProvisioningEnumerationParameters (2.2.4.287) carries the provisioning
// settings of InitializeAsyncProvisioning.
type IpamProvisioningEnumerationParameters struct {
	EnumerationParametersBase
	IpamProvisioningSetting *IpamProvisioningSetting
}

// IpamProvisioningSetting (2.2.4.288).
type IpamProvisioningSetting struct {
	CreateNewSchema       bool
	DatabaseConfiguration *IpamDatabaseConfiguration
	GpoPrefix             *string
	ProvisioningMethod    ProvisioningMethod // "" when absent
}

// IpamDatabaseConfiguration (2.2.4.251).
type IpamDatabaseConfiguration struct {
	DatabaseAuthenticationType IpamDatabaseAuthenticationType
	DatabaseCredential         *IpamCredential
	DatabaseName               *string
	DatabasePath               *string
	DatabasePort               uint32
	DatabaseServerNameOrIP     *string
	DatabaseType               IpamDatabaseType
}

// IpamCredential (2.2.4.250). Its String method never shows the password.
type IpamCredential struct {
	Password []byte
	UserName *string
}

// String redacts the password so a credential can't leak into logs.
func (c *IpamCredential) String() string {
	if c == nil {
		return "<nil>"
	}
	user := "<nil>"
	if c.UserName != nil {
		user = *c.UserName
	}
	return fmt.Sprintf("IpamCredential{UserName:%q Password:<redacted>}", user)
}

// GoString redacts like String (for %#v).
func (c *IpamCredential) GoString() string { return c.String() }

// ---- operation messages -------------------------------------------------

// InitializeAsyncProvisioning is the request of IIpamAsyncProvision's first operation.
type InitializeAsyncProvisioning struct {
	Parameters EnumerationParameters // nil when absent or i:nil
}

// InitializeAsyncProvisioningResponse is its empty reply.
type InitializeAsyncProvisioningResponse struct{}

// StartAsyncProvisioning is the one-way start request (no members).
type StartAsyncProvisioning struct{}

// InitializeAsyncSchemaConversion is the request of IIpamAsyncSchemaConversion's first operation.
type InitializeAsyncSchemaConversion struct {
	Parameters EnumerationParameters
}

// InitializeAsyncSchemaConversionResponse is its empty reply.
type InitializeAsyncSchemaConversionResponse struct{}

// StartAsyncSchemaConversion is the one-way start request (no members).
type StartAsyncSchemaConversion struct{}

// NotifyStart is the body of NotifyAsyncProvisionStart and
// NotifyAsyncSchemaConversionStart: an empty wrapper element.
type NotifyStart struct{ element string }

// NotifyCheckpoint is the body of the two Notify…Checkpoint callbacks: a
// nillable ArrayOfIpamObject whose content the spec leaves open. ipamd sends
// it as i:nil; its purpose is progress and keeping the session alive.
type NotifyCheckpoint struct{ element string }

// NotifyComplete is the body of the two Notify…Complete callbacks. Exception
// nil means success.
type NotifyComplete struct {
	element   string
	Exception *IpamException
}

// Callback body constructors for each port type.
func NewNotifyAsyncProvisionStart() *NotifyStart {
	return &NotifyStart{element: "NotifyAsyncProvisionStart"}
}
func NewNotifyAsyncProvisionCheckpoint() *NotifyCheckpoint {
	return &NotifyCheckpoint{element: "NotifyAsyncProvisionCheckpoint"}
}
func NewNotifyAsyncProvisionComplete(exc *IpamException) *NotifyComplete {
	return &NotifyComplete{element: "NotifyAsyncProvisionComplete", Exception: exc}
}
func NewNotifyAsyncSchemaConversionStart() *NotifyStart {
	return &NotifyStart{element: "NotifyAsyncSchemaConversionStart"}
}
func NewNotifyAsyncSchemaConversionCheckpoint() *NotifyCheckpoint {
	return &NotifyCheckpoint{element: "NotifyAsyncSchemaConversionCheckpoint"}
}
func NewNotifyAsyncSchemaConversionComplete(exc *IpamException) *NotifyComplete {
	return &NotifyComplete{element: "NotifyAsyncSchemaConversionComplete", Exception: exc}
}

// ---- writing ------------------------------------------------------------

// WriteBody writes the empty response wrapper.
func (*InitializeAsyncProvisioningResponse) WriteBody(w xmlstream.Writer) error {
	return writeEmpty(w, "InitializeAsyncProvisioningResponse")
}

// WriteBody writes the empty response wrapper.
func (*InitializeAsyncSchemaConversionResponse) WriteBody(w xmlstream.Writer) error {
	return writeEmpty(w, "InitializeAsyncSchemaConversionResponse")
}

// WriteBody writes the empty start wrapper.
func (*StartAsyncProvisioning) WriteBody(w xmlstream.Writer) error {
	return writeEmpty(w, "StartAsyncProvisioning")
}

// WriteBody writes the empty start wrapper.
func (*StartAsyncSchemaConversion) WriteBody(w xmlstream.Writer) error {
	return writeEmpty(w, "StartAsyncSchemaConversion")
}

// WriteBody writes the empty Notify…Start wrapper.
func (m *NotifyStart) WriteBody(w xmlstream.Writer) error { return writeEmpty(w, m.element) }

// WriteBody writes <Notify…Checkpoint><data i:nil="true"/></…>.
func (m *NotifyCheckpoint) WriteBody(w xmlstream.Writer) error {
	if err := w.StartElement("", m.element, Namespace); err != nil {
		return err
	}
	if err := writeNil(w, "data"); err != nil {
		return err
	}
	return w.EndElement()
}

// WriteBody writes <Notify…Complete><result i:nil/><exception …/></…>.
func (m *NotifyComplete) WriteBody(w xmlstream.Writer) error {
	if err := w.StartElement("", m.element, Namespace); err != nil {
		return err
	}
	if err := writeNil(w, "result"); err != nil {
		return err
	}
	if m.Exception == nil {
		if err := writeNil(w, "exception"); err != nil {
			return err
		}
	} else if err := m.Exception.WriteElement(w, "", "exception", Namespace); err != nil {
		return err
	}
	return w.EndElement()
}

// WriteBody writes the request, with parameters typed by xsi:type.
func (m *InitializeAsyncProvisioning) WriteBody(w xmlstream.Writer) error {
	return writeInitialize(w, "InitializeAsyncProvisioning", m.Parameters)
}

// WriteBody writes the request, with parameters typed by xsi:type.
func (m *InitializeAsyncSchemaConversion) WriteBody(w xmlstream.Writer) error {
	return writeInitialize(w, "InitializeAsyncSchemaConversion", m.Parameters)
}

func writeInitialize(w xmlstream.Writer, element string, p EnumerationParameters) error {
	if err := w.StartElement("", element, Namespace); err != nil {
		return err
	}
	if p == nil {
		if err := writeNil(w, "parameters"); err != nil {
			return err
		}
	} else if err := p.writeXML(w, "", "parameters", Namespace); err != nil {
		return err
	}
	return w.EndElement()
}

func (p *EnumerationParametersBase) writeXML(w xmlstream.Writer, prefix, local, space string) error {
	if err := w.StartElement(prefix, local, space); err != nil {
		return err
	}
	if err := p.writeMembers(w); err != nil {
		return err
	}
	return w.EndElement()
}

func (p *EnumerationParametersBase) writeMembers(w xmlstream.Writer) error {
	if err := writeSimple(w, "FetchAllData", strconv.FormatBool(p.FetchAllData)); err != nil {
		return err
	}
	if err := writeSimple(w, "IncludeCustomFieldValues", strconv.FormatBool(p.IncludeCustomFieldValues)); err != nil {
		return err
	}
	ot := p.ObjectType
	if ot == "" {
		ot = EnumerationObjectTypeNone
	}
	return writeSimple(w, "ObjectType", string(ot))
}

func (p *IpamProvisioningEnumerationParameters) writeXML(w xmlstream.Writer, prefix, local, space string) error {
	if err := w.StartElement(prefix, local, space); err != nil {
		return err
	}
	if err := w.Attr("i", "type", NamespaceXSI, "IpamProvisioningEnumerationParameters"); err != nil {
		return err
	}
	if err := p.EnumerationParametersBase.writeMembers(w); err != nil {
		return err
	}
	if p.IpamProvisioningSetting == nil {
		if err := writeNil(w, "IpamProvisioningSetting"); err != nil {
			return err
		}
	} else if err := p.IpamProvisioningSetting.writeXML(w, "IpamProvisioningSetting"); err != nil {
		return err
	}
	return w.EndElement()
}

func (s *IpamProvisioningSetting) writeXML(w xmlstream.Writer, local string) error {
	if err := w.StartElement("", local, Namespace); err != nil {
		return err
	}
	if err := writeSimple(w, "CreateNewSchema", strconv.FormatBool(s.CreateNewSchema)); err != nil {
		return err
	}
	if s.DatabaseConfiguration != nil {
		if err := s.DatabaseConfiguration.writeXML(w, "DatabaseConfiguration"); err != nil {
			return err
		}
	}
	if err := writeOptString(w, "GpoPrefix", s.GpoPrefix); err != nil {
		return err
	}
	if s.ProvisioningMethod != "" {
		if err := writeSimple(w, "ProvisioningMethod", string(s.ProvisioningMethod)); err != nil {
			return err
		}
	}
	return w.EndElement()
}

func (c *IpamDatabaseConfiguration) writeXML(w xmlstream.Writer, local string) error {
	if err := w.StartElement("", local, Namespace); err != nil {
		return err
	}
	if c.DatabaseAuthenticationType != "" {
		if err := writeSimple(w, "DatabaseAuthenticationType", string(c.DatabaseAuthenticationType)); err != nil {
			return err
		}
	}
	if c.DatabaseCredential != nil {
		if err := w.StartElement("", "DatabaseCredential", Namespace); err != nil {
			return err
		}
		if c.DatabaseCredential.Password != nil {
			if err := writeSimple(w, "Password", base64.StdEncoding.EncodeToString(c.DatabaseCredential.Password)); err != nil {
				return err
			}
		}
		if err := writeOptString(w, "UserName", c.DatabaseCredential.UserName); err != nil {
			return err
		}
		if err := w.EndElement(); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"DatabaseName", c.DatabaseName}, {"DatabasePath", c.DatabasePath}} {
		if err := writeOptString(w, f.name, f.v); err != nil {
			return err
		}
	}
	if c.DatabasePort != 0 {
		if err := writeSimple(w, "DatabasePort", strconv.FormatUint(uint64(c.DatabasePort), 10)); err != nil {
			return err
		}
	}
	if err := writeOptString(w, "DatabaseServerNameOrIP", c.DatabaseServerNameOrIP); err != nil {
		return err
	}
	if c.DatabaseType != "" {
		if err := writeSimple(w, "DatabaseType", string(c.DatabaseType)); err != nil {
			return err
		}
	}
	return w.EndElement()
}

func writeEmpty(w xmlstream.Writer, element string) error {
	if err := w.StartElement("", element, Namespace); err != nil {
		return err
	}
	return w.EndElement()
}

// writeNil writes <local i:nil="true"/> in the service namespace.
func writeNil(w xmlstream.Writer, local string) error {
	if err := w.StartElement("", local, Namespace); err != nil {
		return err
	}
	if err := w.Attr("i", "nil", NamespaceXSI, "true"); err != nil {
		return err
	}
	return w.EndElement()
}

func writeSimple(w xmlstream.Writer, local, value string) error {
	if err := w.StartElement("", local, Namespace); err != nil {
		return err
	}
	if err := w.Text(value); err != nil {
		return err
	}
	return w.EndElement()
}

func writeOptString(w xmlstream.Writer, local string, v *string) error {
	if v == nil {
		return nil
	}
	return writeSimple(w, local, *v)
}
