package security

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/windows"
)

// LookupPeer finds the owner of the client end of a loopback connection:
// GetExtendedTcpTable (TCP_TABLE_OWNER_PID_CONNECTIONS) names the process
// whose ESTABLISHED socket goes from client to server, and that process's
// token gives the user SID and the enabled group SIDs. BUILTIN\Administrators
// counts only when enabled: a UAC-filtered token holds it for deny only.
func LookupPeer(client, server netip.AddrPort) (*LocalAccount, error) {
	pid, err := owningPID(client, server)
	if err != nil {
		return nil, err
	}
	return processAccount(pid)
}

var procGetExtendedTcpTable = windows.NewLazySystemDLL("iphlpapi.dll").NewProc("GetExtendedTcpTable")

const (
	tcpTableOwnerPIDConnections = 4 // TCP_TABLE_OWNER_PID_CONNECTIONS
	mibTCPStateEstab            = 5 // MIB_TCP_STATE_ESTAB
	maxTCPTableBytes            = 16 << 20
	tcpRowSize                  = 24 // MIB_TCPROW_OWNER_PID
	tcp6RowSize                 = 56 // MIB_TCP6ROW_OWNER_PID
)

// tcpTable returns the raw table of family (AF_INET or AF_INET6).
func tcpTable(family uint32) ([]byte, error) {
	size := uint32(64 << 10)
	for range 4 {
		if size > maxTCPTableBytes {
			break
		}
		buf := make([]byte, size)
		r, _, _ := procGetExtendedTcpTable.Call(uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&size)), 0,
			uintptr(family), tcpTableOwnerPIDConnections, 0)
		switch windows.Errno(r) {
		case 0:
			return buf[:size], nil
		case windows.ERROR_INSUFFICIENT_BUFFER:
			size += 4 << 10 // it may grow before the next call
			continue
		default:
			return nil, fmt.Errorf("GetExtendedTcpTable: %w", windows.Errno(r))
		}
	}
	return nil, errors.New("GetExtendedTcpTable: the table keeps growing or is too large")
}

func netPort(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }

// owningPID finds the process of the ESTABLISHED connection client→server.
func owningPID(client, server netip.AddrPort) (uint32, error) {
	c, s := client.Addr().Unmap(), server.Addr().Unmap()
	family, rowSize := uint32(windows.AF_INET), tcpRowSize
	if c.Is6() {
		family, rowSize = windows.AF_INET6, tcp6RowSize
	}
	tab, err := tcpTable(family)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrNoLocalAccount, err)
	}
	if len(tab) < 4 {
		return 0, fmt.Errorf("%w: short TCP table", ErrNoLocalAccount)
	}
	n := int(binary.LittleEndian.Uint32(tab))
	rows := tab[4:]
	if n < 0 || n > len(rows)/rowSize {
		n = len(rows) / rowSize
	}
	for i := range n {
		r := rows[i*rowSize : (i+1)*rowSize]
		var state, pid uint32
		var la, ra netip.Addr
		var lp, rp uint16
		if rowSize == tcpRowSize {
			state = binary.LittleEndian.Uint32(r[0:])
			la = netip.AddrFrom4([4]byte(r[4:8]))
			lp = netPort(r[8:])
			ra = netip.AddrFrom4([4]byte(r[12:16]))
			rp = netPort(r[16:])
			pid = binary.LittleEndian.Uint32(r[20:])
		} else {
			la = netip.AddrFrom16([16]byte(r[0:16])).Unmap()
			lp = netPort(r[20:])
			ra = netip.AddrFrom16([16]byte(r[24:40])).Unmap()
			rp = netPort(r[44:])
			state = binary.LittleEndian.Uint32(r[48:])
			pid = binary.LittleEndian.Uint32(r[52:])
		}
		if state == mibTCPStateEstab && la == c && lp == client.Port() && ra == s && rp == server.Port() {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("%w: no established connection %s → %s", ErrNoLocalAccount, client, server)
}

// processAccount reads the user and enabled groups of a process's token.
func processAccount(pid uint32) (*LocalAccount, error) {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return nil, fmt.Errorf("%w: process %d: %w", ErrNoLocalAccount, pid, err)
	}
	defer windows.CloseHandle(h)
	var tok windows.Token
	if err := windows.OpenProcessToken(h, windows.TOKEN_QUERY, &tok); err != nil {
		return nil, fmt.Errorf("%w: token of process %d: %w", ErrNoLocalAccount, pid, err)
	}
	defer tok.Close()
	tu, err := tok.GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("%w: token user of process %d: %w", ErrNoLocalAccount, pid, err)
	}
	tg, err := tok.GetTokenGroups()
	if err != nil {
		return nil, fmt.Errorf("%w: token groups of process %d: %w", ErrNoLocalAccount, pid, err)
	}
	acct := &LocalAccount{User: tu.User.Sid.String()}
	if name, domain, _, err := tu.User.Sid.LookupAccount(""); err == nil {
		acct.Name = domain + `\` + name
	}
	for _, g := range tg.AllGroups() {
		if g.Attributes&windows.SE_GROUP_ENABLED == 0 || g.Attributes&windows.SE_GROUP_USE_FOR_DENY_ONLY != 0 {
			continue
		}
		sid := g.Sid.String()
		acct.Groups = append(acct.Groups, sid)
		if sid == SIDBuiltinAdministrators {
			acct.Admin = true
		}
	}
	// LocalSystem is the host's own account, as root is on Unix.
	if acct.User == "S-1-5-18" {
		acct.Admin = true
	}
	return acct, nil
}
