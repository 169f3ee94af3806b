package ntlm

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf16"

	//lint:ignore SA1019 the NT hash is MD4 by definition (MS-NLMP 3.3.1, NTOWFv1); interoperability, not a choice
	"golang.org/x/crypto/md4"
)

// Accounts looks up a user's account. Domain and user compare
// case-insensitively, as Windows does, but the Account found carries the
// account's own spelling: that, not the client's, names the caller.
type Accounts interface {
	Lookup(domain, user string) (Account, bool)
}

// Account is one NTLM account: its canonical domain and user name and the
// NT hash (MD4 of the UTF-16LE password).
type Account struct {
	Domain, User string
	NTHash       [16]byte
}

// Name is the canonical DOMAIN\user.
func (a Account) Name() string { return a.Domain + `\` + a.User }

// AccountFile is an Accounts read from an operator-provided file, one
// account per line:
//
//	DOMAIN\user:0123456789abcdef0123456789abcdef
//
// i.e. the NetBIOS domain the client sends, a backslash, the user name, a
// colon and the 32 hex digits of the NT hash; blank lines and lines
// starting with '#' are ignored. `ipamd ntlm-hash` prints such a line for
// a password read from stdin. The file holds password equivalents: keep it
// mode 0600 and owned by the daemon's user.
type AccountFile struct {
	m map[string]Account
}

func accountKey(domain, user string) string {
	return strings.ToUpper(domain) + `\` + strings.ToUpper(user)
}

// Lookup implements Accounts.
func (f *AccountFile) Lookup(domain, user string) (Account, bool) {
	a, ok := f.m[accountKey(domain, user)]
	return a, ok
}

// Len is the number of accounts.
func (f *AccountFile) Len() int { return len(f.m) }

// ParseAccounts reads an account file; errors name the line.
func ParseAccounts(r io.Reader) (*AccountFile, error) {
	f := &AccountFile{m: map[string]Account{}}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, hash, ok := strings.Cut(line, ":")
		domain, user, ok2 := strings.Cut(name, `\`)
		if !ok || !ok2 || domain == "" || user == "" {
			return nil, fmt.Errorf("ntlm: accounts line %d: want DOMAIN\\user:NTHASH", n)
		}
		b, err := hex.DecodeString(strings.TrimSpace(hash))
		if err != nil || len(b) != 16 {
			return nil, fmt.Errorf("ntlm: accounts line %d: NT hash must be 32 hex digits", n)
		}
		k := accountKey(domain, user)
		if _, dup := f.m[k]; dup {
			return nil, fmt.Errorf("ntlm: accounts line %d: %s listed twice", n, name)
		}
		f.m[k] = Account{Domain: domain, User: user, NTHash: [16]byte(b)}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("ntlm: read accounts: %w", err)
	}
	return f, nil
}

// LoadAccounts reads the account file at path.
func LoadAccounts(path string) (*AccountFile, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ntlm: open accounts: %w", err)
	}
	defer fh.Close()
	return ParseAccounts(fh)
}

// NTHash is NTOWFv1: MD4 of the UTF-16LE password.
func NTHash(password string) [16]byte {
	h := md4.New()
	for _, c := range utf16.Encode([]rune(password)) {
		h.Write([]byte{byte(c), byte(c >> 8)})
	}
	return [16]byte(h.Sum(nil))
}

// AccountLine is the account-file line for domain\user with password.
func AccountLine(domain, user, password string) string {
	h := NTHash(password)
	return domain + `\` + user + ":" + hex.EncodeToString(h[:])
}
