package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// The kinds of rows of this file (services/enumerator_servers.go).
const (
	ServerInfoRows     = services.ServerInfoRows
	DataCollectionRows = services.DataCollectionRows
)

// serverIDChunk bounds the RecordIds of one ServerInfoRows query (well
// under both engines' limits on bound parameters).
const serverIDChunk = 500

// enumerateServers reads the kinds of this file, in the transaction and
// with the guarantees of EnumerateRows.
func (s *Store) enumerateServers(ctx context.Context, tx *sql.Tx, q RowQuery, emit func(ipam.AnyIpamObject) error) error {
	if q.Kind == DataCollectionRows {
		return s.checkDataCollectionTables(ctx, tx, q.Tables)
	}
	return s.ServerInfoRows(ctx, tx, nil, emit)
}

// ServerInfoRows builds the ServerInfo rows of the servers ids names
// (ADM_ServersTable RecordIds; nil is every server), in RecordId order,
// each handed to emit as it is read: GetFilteredServerInfoFromTable
// without a filter (MS-IPAMM2 3.5.4.8.1.78), the server's custom field
// values (ObjectType ServerInfo) as ServerCustomDataCollection and its
// roles (ADM_ServerRolesTable) as ServerRoleCollection. An id that
// names no server is skipped. It reads in tx, so a caller enumerating
// another kind (the ActiveServer logical group data) builds the rows in its
// own snapshot. It runs two queries on tx: close the caller's own rows on
// tx first (PostgreSQL's connection runs one query at a time), e.g. collect
// the ids, then call it.
func (s *Store) ServerInfoRows(ctx context.Context, tx *sql.Tx, ids []int64, emit func(ipam.AnyIpamObject) error) error {
	if ids == nil {
		return s.serverInfoRows(ctx, tx, nil, emit)
	}
	for len(ids) > 0 {
		n := min(len(ids), serverIDChunk)
		if err := s.serverInfoRows(ctx, tx, ids[:n], emit); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

func (s *Store) serverInfoRows(ctx context.Context, tx *sql.Tx, ids []int64, emit func(ipam.AnyIpamObject) error) error {
	if ids != nil && len(ids) == 0 {
		return nil
	}
	roles, err := s.serverRoles(ctx, tx, ids)
	if err != nil {
		return err
	}
	w := &where{d: s.dialect}
	idsIn(w, `sv."RecordId"`, ids)
	query := `SELECT sv."RecordId", sv."ADDomainRecordId", sv."ADDomain", sv."ConfigurationRetrievalFlag", sv."Description",
		sv."Domain", sv."ForestName", sv."IPAddresses", sv."LastModified", sv."ManagementStatus", sv."Name", sv."NewFlag",
		sv."OSName", sv."OSVersion", sv."Owner", sv."SamAccountName", sv."ServerGuid", ` + customFieldColumns + `
		FROM "` + schema.ServersTable + `" sv` + customFieldJoins("ServerInfo", "sv") + whereClause(w) + ` ORDER BY sv."RecordId"`
	rows, err := tx.QueryContext(ctx, query, w.args...)
	if err != nil {
		return fmt.Errorf("store: enumerate servers: %w", err)
	}
	defer rows.Close()
	var cur *ipam.ServerInfoRow
	flush := func() error {
		if cur == nil {
			return nil
		}
		sortValues(cur.ServerCustomDataCollection)
		cur.ServerRoleCollection = roles[cur.RecordID]
		if cur.ServerRoleCollection == nil {
			cur.ServerRoleCollection = []*ipam.ServerRoleRow{}
		}
		row := cur
		cur = nil
		return emit(row)
	}
	for rows.Next() {
		var (
			id                                                      int64
			domainID                                                sql.NullInt64
			adDomain, retrieval, desc, domain, forest, addrs        sql.NullString
			mgmt, name, newFlag, osName, osVersion, owner, sam, gid sql.NullString
			modified                                                any
			cf                                                      customFieldScan
		)
		dest := append([]any{&id, &domainID, &adDomain, &retrieval, &desc, &domain, &forest, &addrs, &modified, &mgmt, &name,
			&newFlag, &osName, &osVersion, &owner, &sam, &gid}, cf.dest()...)
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("store: enumerate servers: %w", err)
		}
		if cur == nil || cur.RecordID != id {
			if err := flush(); err != nil {
				return err
			}
			ips, err := serverAddresses(addrs)
			if err != nil {
				return fmt.Errorf("store: enumerate servers: server %d: %w", id, err)
			}
			cur = &ipam.ServerInfoRow{
				ADDomain: nullString(adDomain), ADDomainRecordID: int32(domainID.Int64), ConfigurationRetrievalFlag: retrieval.String,
				Description: nullString(desc), Domain: nullString(domain), ForestName: nullString(forest), IPAddresses: ips,
				LastModified: asTime(modified), ManagementStatus: mgmt.String, Name: nullString(name), NewFlag: newFlag.String,
				OSName: nullString(osName), OSVersion: decimalText(osVersion), Owner: nullString(owner), RecordID: id,
				SamAccountName: nullString(sam), ServerCustomDataCollection: []*ipam.CustomFieldValue{}, ServerGuid: nullString(gid),
			}
		}
		if v := cf.value(); v != nil {
			cur.ServerCustomDataCollection = append(cur.ServerCustomDataCollection, v)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: enumerate servers: %w", err)
	}
	return flush()
}

// idsIn adds "col IN (ids)" to w; nil ids add nothing.
func idsIn(w *where, col string, ids []int64) {
	if ids == nil {
		return
	}
	marks := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		marks[i], args[i] = "?", id
	}
	w.add(col+` IN (`+strings.Join(marks, ", ")+`)`, args...)
}

// serverRoles reads the roles of the servers ids names (nil: every
// server) from ADM_ServerRolesTable, by server, each server's in RecordId
// order: the ServerRoleCollection of their rows. A store keeps a few roles
// per server (one per ServerRoleType), so they are read before the
// servers rather than joined into their query.
func (s *Store) serverRoles(ctx context.Context, tx *sql.Tx, ids []int64) (map[int64][]*ipam.ServerRoleRow, error) {
	w := &where{d: s.dialect}
	idsIn(w, `r."ServerRecordID"`, ids)
	rows, err := tx.QueryContext(ctx, `SELECT r."ServerRecordID", r."RecordId", r."AuditFileAccessStatus", r."EventViewerAccessStatus",
		r."LastRefreshTime", r."RpcAccessStatus", r."ServerRoleFlag", r."ServerRoleInclusionStatus", r."ServiceStatus",
		r."ServiceStatusModifiedTime" FROM "`+schema.ServerRolesTable+`" r`+whereClause(w)+` ORDER BY r."ServerRecordID", r."RecordId"`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("store: enumerate server roles: %w", err)
	}
	defer rows.Close()
	out := map[int64][]*ipam.ServerRoleRow{}
	for rows.Next() {
		var (
			server, id                   int64
			audit, viewer, rpc, flag, st sql.NullString
			included                     sql.NullBool
			refreshed, modified          any
		)
		if err := rows.Scan(&server, &id, &audit, &viewer, &refreshed, &rpc, &flag, &included, &st, &modified); err != nil {
			return nil, fmt.Errorf("store: enumerate server roles: %w", err)
		}
		out[server] = append(out[server], &ipam.ServerRoleRow{AuditFileAccessStatus: audit.String, EventViewerAccessStatus: viewer.String,
			LastRefreshTime: asTime(refreshed), RecordID: id, RpcAccessStatus: rpc.String, ServerRoleFlag: flag.String,
			ServerRoleInclusionStatus: included.Bool, ServiceStatus: st.String, ServiceStatusModifiedTime: asTime(modified)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: enumerate server roles: %w", err)
	}
	return out, nil
}

// serverAddresses reads the IPAddresses column: a JSON array of addresses
// as text (conversion and v1 stores write it so). NULL or empty is no
// list (nil, written i:nil); an entry that is not an address is an error,
// not a silently shorter list.
func serverAddresses(stored sql.NullString) ([]netip.Addr, error) {
	if !stored.Valid || strings.TrimSpace(stored.String) == "" {
		return nil, nil
	}
	var texts []string
	if err := json.Unmarshal([]byte(stored.String), &texts); err != nil {
		return nil, fmt.Errorf("its IPAddresses are not a list of addresses: %w", err)
	}
	out := make([]netip.Addr, 0, len(texts))
	for _, t := range texts {
		a, err := netip.ParseAddr(strings.TrimSpace(t))
		if err != nil {
			return nil, fmt.Errorf("its IPAddresses hold %q, not an address", bounded(t))
		}
		out = append(out, a)
	}
	return out, nil
}

// decimalText is the OSVersion column as an xsd:decimal ("" when it is
// not one: the member is written 0).
func decimalText(v sql.NullString) string {
	t := strings.TrimSpace(v.String)
	if _, err := strconv.ParseFloat(t, 64); err != nil || strings.ContainsAny(t, "eEnNiI") {
		return ""
	}
	return t
}

// bounded cuts a stored text quoted in an error to 64 bytes.
func bounded(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// checkDataCollectionTables decides a DHCP, DNS or audit parameter type
// (services.DataCollectionRows): ipamd builds none of their rows, so the
// answer is an empty enumeration when every table the type reads exists
// and holds no row, and IpamApiInvalidEnumeration when one is missing
// (the store's schema lacks it) or holds rows (an empty answer would hide
// them). docs/protocol.md, "DHCP, DNS and audit parameter types".
func (s *Store) checkDataCollectionTables(ctx context.Context, tx *sql.Tx, tables []string) error {
	if len(tables) == 0 {
		return ipam.NewException(ipam.IpamApiInvalidEnumeration, "the parameter type names no ADM table")
	}
	for _, t := range tables {
		ok, err := s.hasTable(ctx, tx, t)
		if err != nil {
			return err
		}
		if !ok {
			return ipam.NewException(ipam.IpamApiInvalidEnumeration, "this data store has no %s, which the parameter type reads", t)
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM "`+t+`" LIMIT 1`).Scan(&one)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("store: look into %s: %w", t, err)
		default:
			return ipam.NewException(ipam.IpamApiInvalidEnumeration,
				"%s holds rows, and ipamd does not build the rows of this parameter type", t)
		}
	}
	return nil
}
