package config

import (
	"strings"
	"testing"
)

func TestIdentitySettings(t *testing.T) {
	for _, tc := range []struct {
		name  string
		set   func(*Config)
		error string // "" = valid
	}{
		{"admin on loopback", func(c *Config) { c.Admin.Listen = "[::1]:9485" }, ""},
		{"admin on localhost", func(c *Config) { c.Admin.Listen = "localhost:9485" }, ""},
		{"admin on every interface", func(c *Config) { c.Admin.Listen = ":9485" }, "admin.allow_remote"},
		{"admin on a name", func(c *Config) { c.Admin.Listen = "mgmt.example:9485" }, "admin.allow_remote"},
		{"admin remote opted in", func(c *Config) { c.Admin.Listen = "0.0.0.0:9485"; c.Admin.AllowRemote = true }, ""},
		{"admin disabled", func(c *Config) { c.Admin.Listen = "" }, ""},
		{"allowed hosts", func(c *Config) { c.HTTP.AllowedHosts = []string{"ipam.example.com", "10.0.0.1", "[fd00::1]", "::1"} }, ""},
		{"allowed host with port", func(c *Config) { c.HTTP.AllowedHosts = []string{"ipam.example.com:80"} }, "without a port"},
		{"admin allowed host with scheme", func(c *Config) { c.Admin.AllowedHosts = []string{"http://x"} }, "without a port"},
		{"local administrators", func(c *Config) {
			c.Security.LocalAdministrators = []string{"ipamadmins", "gid:1001", "uid:0", "S-1-5-21-1-2-3-512"}
		}, ""},
		{"local administrator uid not a number", func(c *Config) { c.Security.LocalAdministrators = []string{"uid:root"} }, "number"},
		{"local administrator bad SID", func(c *Config) { c.Security.LocalAdministrators = []string{"S-1-x"} }, "SID"},
		{"local identity unknown", func(c *Config) { c.Security.LocalIdentity = "guess" }, "must be one of os, trust"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.StateDir = t.TempDir()
			tc.set(c)
			err := c.Validate()
			switch {
			case tc.error == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tc.error != "" && (err == nil || !strings.Contains(err.Error(), tc.error)):
				t.Errorf("Validate = %v, want an error containing %q", err, tc.error)
			}
		})
	}
}
