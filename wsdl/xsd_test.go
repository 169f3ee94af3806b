package wsdl

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/ipamd/ipamd/soap/textxml"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// xsdValidator holds the WSDL's schemas extracted to files, with a driver
// schema that imports them all, for xmllint (Debian: libxml2-utils).
type xsdValidator struct {
	xmllint, dir, driver string
}

func newXSDValidator(t *testing.T) *xsdValidator {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (Debian: apt-get install libxml2-utils)")
	}
	p := parseWSDL(t, Document())
	v := &xsdValidator{xmllint: xmllint, dir: t.TempDir()}
	files := map[string]string{} // namespace -> file name
	namespaces := make([]string, 0, len(p.Schemas))
	for ns := range p.Schemas {
		namespaces = append(namespaces, ns)
	}
	sort.Strings(namespaces)
	for i, ns := range namespaces {
		files[ns] = fmt.Sprintf("schema%d.xsd", i)
	}
	for _, ns := range namespaces {
		s := p.Schemas[ns].Copy()
		// Carry the namespace declarations in scope on wsdl:definitions
		// (none are needed today: each schema declares its own prefixes).
		for e := p.Schemas[ns].Parent(); e != nil; e = e.Parent() {
			for _, a := range e.Attr {
				if (a.Space == nsXMLNS || (a.Space == "" && a.Key == nsXMLNS)) && s.SelectAttr(a.FullKey()) == nil {
					s.CreateAttr(a.FullKey(), a.Value)
				}
			}
		}
		// The extracted files import each other by location.
		for _, imp := range children(s, nsXSD, "import") {
			imp.CreateAttr("schemaLocation", files[imp.SelectAttrValue("namespace", "")])
		}
		doc := etree.NewDocument()
		doc.CreateProcInst("xml", `version="1.0" encoding="utf-8"`)
		doc.SetRoot(s)
		if err := doc.WriteToFile(filepath.Join(v.dir, files[ns])); err != nil {
			t.Fatal(err)
		}
	}
	var driver strings.Builder
	driver.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" +
		`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:ipamd:wsdl-test-driver">` + "\n")
	for _, ns := range namespaces {
		fmt.Fprintf(&driver, "  <xs:import namespace=%q schemaLocation=%q/>\n", ns, files[ns])
	}
	driver.WriteString("</xs:schema>\n")
	v.driver = filepath.Join(v.dir, "driver.xsd")
	if err := os.WriteFile(v.driver, []byte(driver.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return v
}

// validate runs xmllint on one instance document and returns its output
// and whether the document is valid. A schema that fails to compile fails
// the test.
func (v *xsdValidator) validate(t *testing.T, name string, doc []byte) (string, bool) {
	t.Helper()
	file := filepath.Join(v.dir, "instance-"+filepath.Base(name))
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(v.xmllint, "--noout", "--nonet", "--schema", v.driver, file)
	out, err := cmd.CombinedOutput()
	if err == nil {
		return string(out), true
	}
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 3 {
		return string(out), false // validation error
	}
	t.Fatalf("xmllint %s: %v\n%s", name, err, out)
	return "", false
}

// TestXSDValid: the schemas compile (xmllint validates them against the XML
// Schema rules) and accept the sample documents.
func TestXSDValid(t *testing.T) {
	v := newXSDValidator(t)
	files, err := filepath.Glob("testdata/*.xml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/*.xml: %v", err)
	}
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if out, ok := v.validate(t, f, doc); !ok {
			t.Errorf("%s does not validate:\n%s", f, out)
		}
	}
}

// TestXSDRejects: the validation has teeth; each invalid sample fails for
// its own reason.
func TestXSDRejects(t *testing.T) {
	v := newXSDValidator(t)
	want := map[string]string{
		"bad-object-type.xml":         "'NoSuchObjectType' is not an element of the set",
		"members-out-of-order.xml":    "CreateNewSchema': This element is not expected",
		"missing-required-member.xml": "Expected is ( {http://Microsoft.Windows.Ipam}FetchAllData )",
		"unknown-exception-id.xml":    "'NotAnIpamExceptionId' is not an element of the set",
	}
	files, err := filepath.Glob("testdata/invalid/*.xml")
	if err != nil || len(files) != len(want) {
		t.Fatalf("testdata/invalid/*.xml: %d files, want %d: %v", len(files), len(want), err)
	}
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		reason, ok := want[filepath.Base(f)]
		if !ok {
			t.Errorf("%s: no expected error listed", f)
			continue
		}
		if out, valid := v.validate(t, f, doc); valid || !strings.Contains(out, reason) {
			t.Errorf("%s: valid=%v, want an error containing %q:\n%s", f, valid, reason, out)
		}
	}
}

// TestXSDAcceptsWhatIpamdWrites: every message body wsdl/ipam writes (the
// text encoding; the binary one carries the same infoset) is valid.
func TestXSDAcceptsWhatIpamdWrites(t *testing.T) {
	v := newXSDValidator(t)
	str := func(s string) *string { return &s }
	exc := ipam.NewException(ipam.IpamApiUnabletoProvisionIpam, "provisioning failed")
	exc.Inner = ipam.NewException(ipam.IpamApiErrorDatabaseCreationOrPopulationFailed, "no <database> & such")
	bodies := map[string]ipam.BodyWriter{
		"InitializeAsyncProvisioning-full": &ipam.InitializeAsyncProvisioning{Parameters: &ipam.IpamProvisioningEnumerationParameters{
			EnumerationParametersBase: ipam.EnumerationParametersBase{FetchAllData: true, ObjectType: ipam.EnumerationObjectTypeAsyncProvision},
			IpamProvisioningSetting: &ipam.IpamProvisioningSetting{
				CreateNewSchema: true,
				DatabaseConfiguration: &ipam.IpamDatabaseConfiguration{
					DatabaseAuthenticationType: ipam.IpamDatabaseAuthenticationTypeSQLAuthentication,
					DatabaseCredential:         &ipam.IpamCredential{Password: []byte("secret"), UserName: str("ipam")},
					DatabaseName:               str("IPAM"),
					DatabasePort:               1433,
					DatabaseServerNameOrIP:     str("sql.example.com"),
					DatabaseType:               ipam.IpamDatabaseTypeMSSQLServer,
				},
				GpoPrefix:          str("IPAM"),
				ProvisioningMethod: ipam.ProvisioningMethodAutomatic,
			},
		}},
		"InitializeAsyncProvisioning-nosetting": &ipam.InitializeAsyncProvisioning{Parameters: &ipam.IpamProvisioningEnumerationParameters{
			EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeAsyncProvision}}},
		"InitializeAsyncProvisioning-nil":         &ipam.InitializeAsyncProvisioning{},
		"InitializeAsyncProvisioningResponse":     &ipam.InitializeAsyncProvisioningResponse{},
		"StartAsyncProvisioning":                  &ipam.StartAsyncProvisioning{},
		"InitializeAsyncSchemaConversion":         &ipam.InitializeAsyncSchemaConversion{Parameters: &ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeAsyncSchemaConversion}},
		"InitializeAsyncSchemaConversionResponse": &ipam.InitializeAsyncSchemaConversionResponse{},
		"StartAsyncSchemaConversion":              &ipam.StartAsyncSchemaConversion{},
		"NotifyAsyncProvisionStart":               &ipam.NotifyAsyncProvisionStart{},
		"NotifyAsyncProvisionCheckpoint":          &ipam.NotifyAsyncProvisionCheckpoint{},
		"NotifyAsyncProvisionComplete-ok":         &ipam.NotifyAsyncProvisionComplete{},
		"NotifyAsyncProvisionComplete-exception":  &ipam.NotifyAsyncProvisionComplete{Exception: exc},
		"NotifyAsyncSchemaConversionStart":        &ipam.NotifyAsyncSchemaConversionStart{},
		"NotifyAsyncSchemaConversionCheckpoint":   &ipam.NotifyAsyncSchemaConversionCheckpoint{},
		"NotifyAsyncSchemaConversionComplete":     &ipam.NotifyAsyncSchemaConversionComplete{Exception: ipam.NewException(ipam.IpamSchemaConversionFailed, "x")},
		"IpamException-fault-detail":              ipam.FaultDetail{Exception: exc},
		// The polymorphic and collection members (i:type, ArrayOfIpamObject,
		// serarr:ArrayOfstring) ipamd itself sends as i:nil.
		"NotifyAsyncProvisionCheckpoint-objects": &ipam.NotifyAsyncProvisionCheckpoint{Data: []ipam.AnyIpamObject{
			&ipam.IpamObject{}, nil,
			&ipam.IpamSchemaVersion{MajorVersion: 6, MinorVersion: 3},
			&ipam.IpamGenericExceptionData{IpamExceptionData: ipam.IpamExceptionData{ExceptionId: ipam.IpamExceptionIdIpamApiAccessDenied, ExceptionMessage: str("denied")}},
			&ipam.IpamDatabaseConfiguration{BaseIpamObject: ipam.BaseIpamObject{ModifiedProperties: []*string{str("DatabaseName"), nil}, SetProperties: []*string{}}},
		}},
		"NotifyAsyncProvisionComplete-result": &ipam.NotifyAsyncProvisionComplete{Result: &ipam.IpamProvisioningSetting{
			CreateNewSchema: true, ProvisioningMethod: ipam.ProvisioningMethodManual,
			DatabaseConfiguration: &ipam.IpamDatabaseConfiguration{DatabaseCredential: &ipam.IpamCredential{UserName: str("sa")}}}},
	}
	for name, body := range bodies {
		w := textxml.NewWriter(nil)
		if err := body.WriteBody(w); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if out, ok := v.validate(t, name+".xml", w.Bytes()); !ok {
			t.Errorf("%s as ipamd writes it does not validate:\n%s\n%s", name, bytes.TrimSpace(w.Bytes()), out)
		}
	}
}
