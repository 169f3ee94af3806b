package ipam

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// ErrInvalidMessage is wrapped by every error a body decoder returns for a
// request that is well-formed XML but does not match the contract (wrong
// wrapper element, unknown xsi:type, bad enum or boolean value). Malformed
// XML still surfaces as xmlstream.ErrMalformed.
var ErrInvalidMessage = errors.New("message does not match the IPAM contract")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidMessage}, args...)...)
}

// ReadBody decodes the request from a reader positioned inside s:Body.
func (m *InitializeAsyncProvisioning) ReadBody(r xmlstream.Reader) error {
	p, err := readInitialize(r, "InitializeAsyncProvisioning")
	m.Parameters = p
	return err
}

// ReadBody decodes the request from a reader positioned inside s:Body.
func (m *InitializeAsyncSchemaConversion) ReadBody(r xmlstream.Reader) error {
	p, err := readInitialize(r, "InitializeAsyncSchemaConversion")
	m.Parameters = p
	return err
}

// ReadBody checks the (memberless) request wrapper.
func (m *StartAsyncProvisioning) ReadBody(r xmlstream.Reader) error {
	return readEmpty(r, "StartAsyncProvisioning")
}

// ReadBody checks the (memberless) request wrapper.
func (m *StartAsyncSchemaConversion) ReadBody(r xmlstream.Reader) error {
	return readEmpty(r, "StartAsyncSchemaConversion")
}

// ReadBody checks the response wrapper (used by clients and tests).
func (m *InitializeAsyncProvisioningResponse) ReadBody(r xmlstream.Reader) error {
	return readEmpty(r, "InitializeAsyncProvisioningResponse")
}

// ReadBody checks the response wrapper (used by clients and tests).
func (m *InitializeAsyncSchemaConversionResponse) ReadBody(r xmlstream.Reader) error {
	return readEmpty(r, "InitializeAsyncSchemaConversionResponse")
}

// wrapper returns the body's first element and checks its name.
func wrapper(r xmlstream.Reader, local string) (*xmlstream.Node, error) {
	n, err := xmlstream.NextStart(r)
	if err != nil {
		return nil, err
	}
	if n == nil {
		return nil, invalid("empty s:Body, want <%s>", local)
	}
	if n.Name.Local != local || n.Name.Space != Namespace {
		return nil, invalid("body element {%s}%s, want {%s}%s", n.Name.Space, n.Name.Local, Namespace, local)
	}
	return n, nil
}

func readEmpty(r xmlstream.Reader, local string) error {
	if _, err := wrapper(r, local); err != nil {
		return err
	}
	// Members added by later contract versions are ignored, as
	// DataContractSerializer does for unknown trailing members.
	return xmlstream.Skip(r)
}

func readInitialize(r xmlstream.Reader, local string) (EnumerationParameters, error) {
	if _, err := wrapper(r, local); err != nil {
		return nil, err
	}
	var params EnumerationParameters
	for {
		n, err := xmlstream.NextStart(r)
		if err != nil {
			return nil, err
		}
		if n == nil {
			return params, nil
		}
		if n.Name.Local != "parameters" || n.Name.Space != Namespace {
			if err := xmlstream.Skip(r); err != nil {
				return nil, err
			}
			continue
		}
		if params != nil {
			return nil, invalid("<parameters> appears twice")
		}
		if params, err = readParameters(r, n); err != nil {
			return nil, fmt.Errorf("parameters: %w", err)
		}
	}
}

// readParameters decodes the polymorphic EnumerationParametersBase.
func readParameters(r xmlstream.Reader, start *xmlstream.Node) (EnumerationParameters, error) {
	if xmlstream.IsNil(start) {
		return nil, xmlstream.Skip(r)
	}
	space, local, typed, err := xmlstream.XSIType(r, start)
	if err != nil {
		return nil, err
	}
	var prov *IpamProvisioningEnumerationParameters
	switch {
	case !typed, space == Namespace && local == "EnumerationParametersBase":
	case space == Namespace && local == "IpamProvisioningEnumerationParameters":
		prov = &IpamProvisioningEnumerationParameters{}
	default:
		return nil, invalid("xsi:type {%s}%s is not an EnumerationParametersBase this port type takes", space, local)
	}
	base := &EnumerationParametersBase{}
	if prov != nil {
		base = &prov.EnumerationParametersBase
	}
	seen := 0
	for {
		n, err := xmlstream.NextStart(r)
		if err != nil {
			return nil, err
		}
		if n == nil {
			break
		}
		if n.Name.Space != Namespace {
			if err := xmlstream.Skip(r); err != nil {
				return nil, err
			}
			continue
		}
		switch n.Name.Local {
		case "FetchAllData":
			seen |= 1
			if base.FetchAllData, err = readBool(r, "FetchAllData"); err != nil {
				return nil, err
			}
		case "IncludeCustomFieldValues":
			seen |= 2
			if base.IncludeCustomFieldValues, err = readBool(r, "IncludeCustomFieldValues"); err != nil {
				return nil, err
			}
		case "ObjectType":
			seen |= 4
			v, err := xmlstream.ReadText(r)
			if err != nil {
				return nil, err
			}
			if !enumerationObjectTypes[v] {
				return nil, invalid("ObjectType %q is not an EnumerationObjectType", v)
			}
			base.ObjectType = EnumerationObjectType(v)
		case "IpamProvisioningSetting":
			if prov == nil {
				return nil, invalid("IpamProvisioningSetting needs xsi:type IpamProvisioningEnumerationParameters")
			}
			if xmlstream.IsNil(n) {
				if err := xmlstream.Skip(r); err != nil {
					return nil, err
				}
				continue
			}
			if prov.IpamProvisioningSetting, err = readProvisioningSetting(r); err != nil {
				return nil, fmt.Errorf("IpamProvisioningSetting: %w", err)
			}
		default:
			if err := xmlstream.Skip(r); err != nil {
				return nil, err
			}
		}
	}
	// The three base members have no minOccurs="0": they are required.
	if seen != 7 {
		return nil, invalid("EnumerationParametersBase needs FetchAllData, IncludeCustomFieldValues and ObjectType")
	}
	if prov != nil {
		return prov, nil
	}
	return base, nil
}

func readProvisioningSetting(r xmlstream.Reader) (*IpamProvisioningSetting, error) {
	s := &IpamProvisioningSetting{}
	for {
		n, err := xmlstream.NextStart(r)
		if err != nil {
			return nil, err
		}
		if n == nil {
			return s, nil
		}
		if n.Name.Space != Namespace {
			if err := xmlstream.Skip(r); err != nil {
				return nil, err
			}
			continue
		}
		switch n.Name.Local {
		case "CreateNewSchema":
			if s.CreateNewSchema, err = readBool(r, "CreateNewSchema"); err != nil {
				return nil, err
			}
		case "DatabaseConfiguration":
			if xmlstream.IsNil(n) {
				err = xmlstream.Skip(r)
			} else {
				s.DatabaseConfiguration, err = readDatabaseConfiguration(r)
			}
			if err != nil {
				return nil, fmt.Errorf("DatabaseConfiguration: %w", err)
			}
		case "GpoPrefix":
			if s.GpoPrefix, err = readOptString(r, n); err != nil {
				return nil, err
			}
		case "ProvisioningMethod":
			v, err := xmlstream.ReadText(r)
			if err != nil {
				return nil, err
			}
			switch ProvisioningMethod(v) {
			case ProvisioningMethodNone, ProvisioningMethodAutomatic, ProvisioningMethodManual:
				s.ProvisioningMethod = ProvisioningMethod(v)
			default:
				return nil, invalid("ProvisioningMethod %q is not None, Automatic or Manual", v)
			}
		default: // BaseIpamObject members (ModifiedProperties, SetProperties) and later additions
			if err := xmlstream.Skip(r); err != nil {
				return nil, err
			}
		}
	}
}

func readDatabaseConfiguration(r xmlstream.Reader) (*IpamDatabaseConfiguration, error) {
	c := &IpamDatabaseConfiguration{}
	for {
		n, err := xmlstream.NextStart(r)
		if err != nil {
			return nil, err
		}
		if n == nil {
			return c, nil
		}
		if n.Name.Space != Namespace {
			if err := xmlstream.Skip(r); err != nil {
				return nil, err
			}
			continue
		}
		switch n.Name.Local {
		case "DatabaseAuthenticationType":
			v, err := xmlstream.ReadText(r)
			if err != nil {
				return nil, err
			}
			switch IpamDatabaseAuthenticationType(v) {
			case AuthenticationNotConfigured, WindowsAuthentication, SQLAuthentication:
				c.DatabaseAuthenticationType = IpamDatabaseAuthenticationType(v)
			default:
				return nil, invalid("DatabaseAuthenticationType %q is not an IpamDatabaseAuthenticationType", v)
			}
		case "DatabaseCredential":
			if xmlstream.IsNil(n) {
				err = xmlstream.Skip(r)
			} else {
				c.DatabaseCredential, err = readCredential(r)
			}
			if err != nil {
				return nil, err
			}
		case "DatabaseName":
			c.DatabaseName, err = readOptString(r, n)
		case "DatabasePath":
			c.DatabasePath, err = readOptString(r, n)
		case "DatabaseServerNameOrIP":
			c.DatabaseServerNameOrIP, err = readOptString(r, n)
		case "DatabasePort":
			v, rerr := xmlstream.ReadText(r)
			if rerr != nil {
				return nil, rerr
			}
			p, perr := strconv.ParseUint(v, 10, 32)
			if perr != nil {
				return nil, invalid("DatabasePort %q is not an xsd:unsignedInt", v)
			}
			c.DatabasePort = uint32(p)
		case "DatabaseType":
			v, rerr := xmlstream.ReadText(r)
			if rerr != nil {
				return nil, rerr
			}
			switch IpamDatabaseType(v) {
			case DatabaseTypeNotConfigured, DatabaseTypeWindowsInternal, DatabaseTypeMSSQLServer:
				c.DatabaseType = IpamDatabaseType(v)
			default:
				return nil, invalid("DatabaseType %q is not an IpamDatabaseType", v)
			}
		default:
			err = xmlstream.Skip(r)
		}
		if err != nil {
			return nil, err
		}
	}
}

func readCredential(r xmlstream.Reader) (*IpamCredential, error) {
	c := &IpamCredential{}
	for {
		n, err := xmlstream.NextStart(r)
		if err != nil {
			return nil, err
		}
		if n == nil {
			return c, nil
		}
		switch {
		case n.Name.Space == Namespace && n.Name.Local == "Password":
			if xmlstream.IsNil(n) {
				err = xmlstream.Skip(r)
				break
			}
			v, rerr := xmlstream.ReadText(r)
			if rerr != nil {
				return nil, rerr
			}
			if c.Password, err = base64.StdEncoding.DecodeString(v); err != nil {
				return nil, invalid("DatabaseCredential.Password is not base64")
			}
		case n.Name.Space == Namespace && n.Name.Local == "UserName":
			c.UserName, err = readOptString(r, n)
		default:
			err = xmlstream.Skip(r)
		}
		if err != nil {
			return nil, err
		}
	}
}

func readBool(r xmlstream.Reader, name string) (bool, error) {
	v, err := xmlstream.ReadText(r)
	if err != nil {
		return false, err
	}
	switch v {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, invalid("%s %q is not an xsd:boolean", name, v)
}

// readOptString reads a nillable xsd:string: nil for i:nil="true".
func readOptString(r xmlstream.Reader, n *xmlstream.Node) (*string, error) {
	if xmlstream.IsNil(n) {
		return nil, xmlstream.Skip(r)
	}
	v, err := xmlstream.ReadText(r)
	if err != nil {
		return nil, err
	}
	return &v, nil
}
