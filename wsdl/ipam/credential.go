package ipam

import "fmt"

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
