package ipam

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// ServerInfoRow is a ServerInfo row (MS-IPAMM2 2.2.4.384): one server of
// ADM_ServersTable, written as rows.go describes. Every member is written,
// in the spec's order; what the store has no data for is nil, or the
// type's default where the member is not nillable. Which column feeds each
// member: docs/protocol.md, "Server rows".
type ServerInfoRow struct {
	ID                         int // z:Id, set by AssignIDs
	ADDomain                   *string
	ADDomainRecordID           int32
	ConfigurationRetrievalFlag string // ServerInfoConfigRetrievalStatus name; "" is None
	Description                *string
	Domain                     *string
	ForestName                 *string
	// IPAddresses: nil is i:nil (the store has none recorded).
	IPAddresses      []netip.Addr
	LastModified     *time.Time // nil is .NET's DateTime.MinValue (the member is not nillable)
	ManagementStatus string     // ManagementStatus name; "" is None
	Name             *string
	NewFlag          string // ServerInfoNewFlag name; "" is None
	OSName           *string
	OSVersion        string // xsd:decimal text; "" is 0
	Owner            *string
	RecordID         int64
	SamAccountName   *string
	// ServerCustomDataCollection: the server's custom field values
	// (ADM_CustomFieldValuesAssociationTable, ObjectType ServerInfo),
	// written as a range's CustomFieldValues are.
	ServerCustomDataCollection []*CustomFieldValue
	ServerGuid                 *string
	// ServerRoleCollection: the server's roles (ADM_ServerRolesTable);
	// nil is i:nil.
	ServerRoleCollection []*ServerRoleRow
}

// ServerRoleRow is a ServerRole (2.2.4.389) of ServerInfo.ServerRoleCollection:
// one row of ADM_ServerRolesTable. Its ParentServer is written nil: it is
// the row that holds the collection (docs/protocol.md, "Server rows").
type ServerRoleRow struct {
	ID                        int    // z:Id, set by AssignIDs
	AuditFileAccessStatus     string // ServerRoleAuditFileAccess name; "" is None
	EventViewerAccessStatus   string // ServerRoleEventViewerAccess name; "" is None
	LastRefreshTime           *time.Time
	RecordID                  int64
	RpcAccessStatus           string // ServerRoleRpcAccess name; "" is None
	ServerRoleFlag            string // ServerRoleType name; "" is None
	ServerRoleInclusionStatus bool
	ServiceStatus             string // ServiceRunningStatus name; "" is None
	ServiceStatusModifiedTime *time.Time
}

var _ AnyIpamObject = (*ServerInfoRow)(nil)

// GetIpamObject implements AnyIpamObject.
func (v *ServerInfoRow) GetIpamObject() *IpamObject { return &IpamObject{} }

func (v *ServerInfoRow) xsdType() (space, local string) { return Namespace, "ServerInfo" }

func (v *ServerInfoRow) readContent(xmlstream.Reader) error {
	return invalid("ServerInfoRow is written by the server only")
}

func (v *ServerInfoRow) assignIDs(next func() int) {
	v.ID = next()
	numberValues(v.ServerCustomDataCollection, next)
	for _, r := range v.ServerRoleCollection {
		if r != nil {
			r.ID = next()
		}
	}
}

// dateTimeMin is what .NET writes for a default DateTime.
const dateTimeMin = "0001-01-01T00:00:00"

func (v *ServerInfoRow) writeContent(w xmlstream.Writer) error {
	m := newRowWriter(w)
	m.id(v.ID)
	m.baseMembers()
	m.str("ADDomain", v.ADDomain)
	m.text("ADDomainRecordId", strconv.FormatInt(int64(v.ADDomainRecordID), 10))
	m.enum("ConfigurationRetrievalFlag", v.ConfigurationRetrievalFlag, "None")
	m.str("Description", v.Description)
	m.str("Domain", v.Domain)
	m.str("ForestName", v.ForestName)
	m.serverAddresses(v.IPAddresses)
	if v.LastModified == nil {
		m.text("LastModified", dateTimeMin)
	} else {
		m.dateTime("LastModified", v.LastModified)
	}
	m.enum("ManagementStatus", v.ManagementStatus, "None")
	m.str("Name", v.Name)
	m.enum("NewFlag", v.NewFlag, "None")
	m.str("OSName", v.OSName)
	m.enum("OSVersion", v.OSVersion, "0")
	m.str("Owner", v.Owner)
	m.long("RecordId", v.RecordID)
	m.str("SamAccountName", v.SamAccountName)
	m.objectCustomFieldValues("ServerCustomDataCollection", v.ServerCustomDataCollection)
	m.str("ServerGuid", v.ServerGuid)
	m.serverRoles(v.ServerRoleCollection)
	return m.err
}

// serverRoles writes ServerInfo.ServerRoleCollection (ipam:ArrayOfServerRole).
func (m *rowWriter) serverRoles(roles []*ServerRoleRow) {
	if roles == nil {
		m.nilMember("ServerRoleCollection")
		return
	}
	m.start("ServerRoleCollection", Namespace)
	for _, r := range roles {
		m.start("ServerRole", Namespace)
		m.id(r.ID)
		m.baseMembers()
		m.enum("AuditFileAccessStatus", r.AuditFileAccessStatus, "None")
		m.enum("EventViewerAccessStatus", r.EventViewerAccessStatus, "None")
		if r.LastRefreshTime == nil {
			m.text("LastRefreshTime", dateTimeMin)
		} else {
			m.dateTime("LastRefreshTime", r.LastRefreshTime)
		}
		m.nilMember("ParentServer")
		m.long("RecordId", r.RecordID)
		m.enum("RpcAccessStatus", r.RpcAccessStatus, "None")
		m.enum("ServerRoleFlag", r.ServerRoleFlag, "None")
		m.boolean("ServerRoleInclusionStatus", r.ServerRoleInclusionStatus)
		m.enum("ServiceStatus", r.ServiceStatus, "None")
		m.dateTime("ServiceStatusModifiedTime", r.ServiceStatusModifiedTime)
		m.end()
	}
	m.end()
}

// serverAddresses writes ServerInfo.IPAddresses, a sysnet:ArrayOfIPAddress
// whose items are sysnet:IPAddress written as rows.go's ipAddress writes a
// member; nil is i:nil.
func (m *rowWriter) serverAddresses(addrs []netip.Addr) {
	if addrs == nil {
		m.nilMember("IPAddresses")
		return
	}
	m.start("IPAddresses", Namespace)
	m.xmlns("b", NamespaceSystemNet)
	for _, a := range addrs {
		m.startP("b", "IPAddress", NamespaceSystemNet)
		var numbers [8]uint16
		var address, scope int64
		if a.Is4() || a.Is4In6() {
			b := a.Unmap().As4()
			address = int64(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
			m.textP("b", "m_Address", NamespaceSystemNet, strconv.FormatInt(address, 10))
			ipv4Rest.writeTo(m)
			m.end()
			continue
		}
		b := a.As16()
		for i := range numbers {
			numbers[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
		if z := a.Zone(); z != "" {
			scope, _ = strconv.ParseInt(z, 10, 64)
		}
		m.textP("b", "m_Address", NamespaceSystemNet, "0")
		m.ipAddressRest("InterNetworkV6", numbers, scope)
		m.end()
	}
	m.end()
}

// objectCustomFieldValues writes an object's custom field values as rows.go's
// customFieldValues does, under another member name.
func (m *rowWriter) objectCustomFieldValues(local string, vs []*CustomFieldValue) {
	m.start(local, Namespace)
	for _, c := range vs {
		m.start("CustomFieldValue", Namespace)
		m.id(c.ID)
		customFieldValueLists.writeTo(m)
		m.long("BuiltInCustomFieldValueId", c.BuiltInCustomFieldValueID)
		m.text("ParentCustomFieldName", c.ParentCustomFieldName)
		m.text("ParentCustomFieldNumber", strconv.FormatInt(int64(c.ParentCustomFieldNumber), 10))
		m.long("ParentCustomFieldRecordId", c.ParentCustomFieldRecordID)
		m.long("RecordId", c.RecordID)
		m.text("Value", c.Value)
		m.end()
	}
	m.end()
}
