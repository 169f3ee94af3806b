package wsdl

import (
	"net/netip"
	"time"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// serverInfoSamples are ServerInfo rows for sampleRows: every member set
// (an IPv4 and an IPv6 address, custom field values), and every nillable
// member nil.
func serverInfoSamples() []ipam.AnyIpamObject {
	str := func(s string) *string { return &s }
	now := time.Date(2026, 12, 6, 18, 30, 0, 0, time.UTC)
	return []ipam.AnyIpamObject{
		&ipam.ServerInfoRow{ADDomain: str("contoso.com"), ADDomainRecordID: 1, ConfigurationRetrievalFlag: "Complete",
			Description: str("dhcp <server> & more"), Domain: str("contoso.com"), ForestName: str("contoso.com"),
			IPAddresses: []netip.Addr{netip.MustParseAddr("10.0.0.10"), netip.MustParseAddr("2001:db8::10")}, LastModified: &now,
			ManagementStatus: "Managed", Name: str("dhcp1.contoso.com"), NewFlag: "Old", OSName: str("Windows Server"), OSVersion: "6.2",
			Owner: str("netops"), RecordID: 1, SamAccountName: str("DHCP1$"), ServerGuid: str("00000000-0000-4000-8000-000000000001"),
			ServerCustomDataCollection: []*ipam.CustomFieldValue{{ParentCustomFieldName: "Notes", ParentCustomFieldRecordID: 40, Value: "rack 4"}},
			ServerRoleCollection: []*ipam.ServerRoleRow{{AuditFileAccessStatus: "Unblocked", EventViewerAccessStatus: "Unblocked", LastRefreshTime: &now,
				RecordID: 1, RpcAccessStatus: "Unblocked", ServerRoleFlag: "Dhcp", ServerRoleInclusionStatus: true, ServiceStatus: "Running",
				ServiceStatusModifiedTime: &now}, {RecordID: 2}}},
		&ipam.ServerInfoRow{RecordID: 2, IPAddresses: []netip.Addr{}},
		&ipam.ServerInfoRow{},
	}
}
