package ipam_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/soap/xmlstream"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

func ptr[T any](v T) *T { return &v }

type message interface {
	WriteBody(xmlstream.Writer) error
	ReadBody(xmlstream.Reader) error
}

func databaseConfiguration() *ipam.IpamDatabaseConfiguration {
	return &ipam.IpamDatabaseConfiguration{
		BaseIpamObject:             ipam.BaseIpamObject{ModifiedProperties: []*string{ptr("DatabaseName"), nil, ptr("")}, SetProperties: []*string{}},
		DatabaseAuthenticationType: ipam.IpamDatabaseAuthenticationTypeSQLAuthentication,
		DatabaseCredential:         &ipam.IpamCredential{Password: []byte("s3cret\x00"), UserName: ptr("sa")},
		DatabaseName:               ptr("IPAM"),
		DatabasePath:               ptr(`C:\Windows\System32\ipam\Database`),
		DatabasePort:               4294967295,
		DatabaseServerNameOrIP:     ptr("sql.example.com"),
		DatabaseType:               ipam.IpamDatabaseTypeMSSQLServer,
	}
}

// ipamObjects holds a value of every type an AnyIpamObject may have.
func ipamObjects() []ipam.AnyIpamObject {
	return []ipam.AnyIpamObject{
		&ipam.IpamObject{},
		&ipam.IpamProvisioningSetting{CreateNewSchema: true, DatabaseConfiguration: databaseConfiguration(),
			GpoPrefix: ptr("IPAM"), ProvisioningMethod: ipam.ProvisioningMethodManual},
		databaseConfiguration(),
		&ipam.IpamCredential{UserName: ptr("")},
		&ipam.BaseIpamObject{SetProperties: []*string{ptr("UserName")}},
		&ipam.IpamSchemaVersion{MajorVersion: 6, MinorVersion: 3, PatchVersion: -2147483648, SPVersion: 2147483647},
		&ipam.IpamExceptionData{ExceptionId: ipam.IpamExceptionIdIpamApiAccessDenied, ExceptionMessage: ptr("denied")},
		&ipam.IpamGenericExceptionData{IpamExceptionData: ipam.IpamExceptionData{ExceptionMessage: ptr("generic")}},
	}
}

func exception() *ipam.IpamException {
	return &ipam.IpamException{ExceptionID: ipam.IpamApiUnabletoProvisionIpam, Message: "outer <&>",
		Inner: ipam.NewException(ipam.IpamApiErrorDatabaseCreationOrPopulationFailed, "inner")}
}

// roundTripMessages has every message type, with nil, absent, empty and
// derived-typed values of its members.
func roundTripMessages() map[string]message {
	base := ipam.EnumerationParametersBase{FetchAllData: true, IncludeCustomFieldValues: true, ObjectType: ipam.EnumerationObjectTypeDnsConditionalForwarder}
	m := map[string]message{
		"Initialize, nil parameters":  &ipam.InitializeAsyncProvisioning{},
		"Initialize, base parameters": &ipam.InitializeAsyncProvisioning{Parameters: &base},
		"Initialize, derived parameters": &ipam.InitializeAsyncProvisioning{Parameters: &ipam.IpamProvisioningEnumerationParameters{
			EnumerationParametersBase: base,
			IpamProvisioningSetting: &ipam.IpamProvisioningSetting{CreateNewSchema: true, DatabaseConfiguration: databaseConfiguration(),
				GpoPrefix: ptr("IPAM"), ProvisioningMethod: ipam.ProvisioningMethodAutomatic}}},
		"Initialize, derived parameters, nil setting": &ipam.InitializeAsyncProvisioning{Parameters: &ipam.IpamProvisioningEnumerationParameters{
			EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeAsyncProvision}}},
		"Initialize, empty setting": &ipam.InitializeAsyncProvisioning{Parameters: &ipam.IpamProvisioningEnumerationParameters{
			EnumerationParametersBase: base, IpamProvisioningSetting: &ipam.IpamProvisioningSetting{}}},
		"InitializeResponse": &ipam.InitializeAsyncProvisioningResponse{},
		"Start":              &ipam.StartAsyncProvisioning{},
		"InitializeSchemaConversion, nil parameters": &ipam.InitializeAsyncSchemaConversion{},
		"InitializeSchemaConversion": &ipam.InitializeAsyncSchemaConversion{Parameters: &ipam.EnumerationParametersBase{
			ObjectType: ipam.EnumerationObjectTypeAsyncSchemaConversion}},
		"InitializeSchemaConversionResponse":      &ipam.InitializeAsyncSchemaConversionResponse{},
		"StartSchemaConversion":                   &ipam.StartAsyncSchemaConversion{},
		"NotifyStart":                             &ipam.NotifyAsyncProvisionStart{},
		"NotifySchemaConversionStart":             &ipam.NotifyAsyncSchemaConversionStart{},
		"NotifyCheckpoint, nil data":              &ipam.NotifyAsyncProvisionCheckpoint{},
		"NotifyCheckpoint, no objects":            &ipam.NotifyAsyncProvisionCheckpoint{Data: []ipam.AnyIpamObject{}},
		"NotifyCheckpoint, every object":          &ipam.NotifyAsyncProvisionCheckpoint{Data: append(ipamObjects(), nil)},
		"NotifySchemaConversionCheckpoint":        &ipam.NotifyAsyncSchemaConversionCheckpoint{Data: []ipam.AnyIpamObject{nil, &ipam.IpamSchemaVersion{MajorVersion: 1}}},
		"NotifyComplete, success":                 &ipam.NotifyAsyncProvisionComplete{},
		"NotifyComplete, exception":               &ipam.NotifyAsyncProvisionComplete{Exception: exception()},
		"NotifySchemaConversionComplete, success": &ipam.NotifyAsyncSchemaConversionComplete{},
		"NotifySchemaConversionComplete, exception and result": &ipam.NotifyAsyncSchemaConversionComplete{
			Result: &ipam.IpamSchemaVersion{MajorVersion: 6, MinorVersion: 3}, Exception: ipam.NewException(ipam.IpamSchemaConversionFailed, "x")},
	}
	// IIpamEnumerator (the parameters of the spec's example, 4.3, and the other parameter types).
	enumBase := ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPRange}
	m["InitializeEnumeration, example"] = &ipam.InitializeEnumeration{Parameters: &ipam.IPRangeByAddressSpaceAndVirtualizationTypeParameters{
		EnumerationParametersBase: enumBase, AddressFamily: ipam.AddressFamilyInterNetwork, AddressSpaceRecordID: 1}}
	m["InitializeEnumeration, virtualization type"] = &ipam.InitializeEnumeration{Parameters: &ipam.IpamIPAddressByAddressSpaceAndVirtualizationTypeParameters{
		EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPAddress},
		AddressFamily:             ipam.AddressFamilyInterNetworkV6, AddressSpaceRecordID: -1, VirtualizationType: ptr("NonVirtualized Fabric")}}
	m["InitializeEnumeration, root ranges"] = &ipam.InitializeEnumeration{Parameters: &ipam.IPRangeRootEnumerationParameters{
		EnumerationParametersBase: enumBase, AddressCategory: ptr(ipam.AddressCategoryPrivate), AddressFamily: ipam.AddressFamilyInterNetwork}}
	m["InitializeEnumeration, nil parameters"] = &ipam.InitializeEnumeration{}
	m["InitializeEnumerationWithModule"] = &ipam.InitializeEnumerationWithModule{Parameters: &ipam.IpamIPAddressByRangeIdEnumerationParameters{
		EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPAddress},
		AddressFamily:             ipam.AddressFamilyInterNetwork, RangeId: ptr(int64(7))}, RemotingModule: &ipam.IIpamRemotingModule{}}
	m["InitializeEnumerationWithModule, root addresses"] = &ipam.InitializeEnumerationWithModule{Parameters: &ipam.IpamIPAddressRootAddressesEnumerationParameters{
		EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPAddress}, AddressFamily: ipam.AddressFamilyInterNetworkV6}}
	m["InitializeEnumerationResponse"] = &ipam.InitializeEnumerationResponse{}
	m["InitializeEnumerationWithModuleResponse"] = &ipam.InitializeEnumerationWithModuleResponse{}
	m["StartEnumeration"] = &ipam.StartEnumeration{}
	m["NotifyEnumerationStart"] = &ipam.NotifyEnumerationStart{}
	m["EnumeratedRowsCallback"] = &ipam.EnumeratedRowsCallback{Data: []ipam.AnyIpamObject{&ipam.IpamSchemaVersion{MajorVersion: 1}}}
	m["NotifyEnumerationComplete, exception"] = &ipam.NotifyEnumerationComplete{Exception: ipam.NewException(ipam.IpamApiInvalidEnumeration, "x")}
	for i, obj := range ipamObjects() {
		m["NotifyComplete, result "+reflect.TypeOf(obj).Elem().Name()+string(rune('0'+i))] = &ipam.NotifyAsyncProvisionComplete{Result: obj}
	}
	return m
}

// TestMessagesRoundTrip writes every message in both encodings and reads it
// back into an equal value: i:type for the derived types, i:nil and empty
// collections, exceptions with inner exceptions.
func TestMessagesRoundTrip(t *testing.T) {
	for name, m := range roundTripMessages() {
		t.Run(name, func(t *testing.T) {
			for _, enc := range []soap.Encoding{soap.EncodingText, soap.EncodingBinarySession} {
				p, err := soap.NewCodec(enc, soap.Limits{}).Encode(nil, &soap.Header{Action: "urn:test"}, m)
				if err != nil {
					t.Fatalf("%v: %v", enc, err)
				}
				env, err := soap.NewCodec(enc, soap.Limits{}).Decode(p)
				if err != nil {
					t.Fatalf("%v: %v", enc, err)
				}
				got := reflect.New(reflect.TypeOf(m).Elem()).Interface().(message)
				if err := got.ReadBody(env.Body()); err != nil {
					t.Fatalf("%v: %v\n%s", enc, err, p)
				}
				if !reflect.DeepEqual(got, m) {
					t.Errorf("%v: read back\n%#v\nwant\n%#v", enc, got, m)
				}
			}
		})
	}
}

// TestRoundTripCoversEveryMessage: the table above has every message type
// zz_generated.go declares (a type with a ReadBody method).
func TestRoundTripCoversEveryMessage(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "zz_generated.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv == nil || fn.Name.Name != "ReadBody" {
			continue
		}
		if star, ok := fn.Recv.List[0].Type.(*ast.StarExpr); ok {
			declared = append(declared, star.X.(*ast.Ident).Name)
		}
	}
	covered := map[string]bool{}
	for _, m := range roundTripMessages() {
		covered[reflect.TypeOf(m).Elem().Name()] = true
	}
	slices.Sort(declared)
	if len(declared) != 20 {
		t.Errorf("zz_generated.go declares %d message types, the WSDL has 20 wrapper elements: %v", len(declared), declared)
	}
	for _, name := range declared {
		if !covered[name] {
			t.Errorf("message %s has no round-trip case", name)
		}
	}
}

// TestDerivedTypeOnTheWire: i:type is written (unprefixed: the element's
// default namespace) for a derived value and not for the declared type.
func TestDerivedTypeOnTheWire(t *testing.T) {
	for _, tt := range []struct {
		msg  message
		want string
	}{
		{&ipam.InitializeAsyncProvisioning{Parameters: &ipam.IpamProvisioningEnumerationParameters{}}, `<parameters xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="IpamProvisioningEnumerationParameters">`},
		{&ipam.InitializeAsyncProvisioning{Parameters: &ipam.EnumerationParametersBase{}}, `<parameters><FetchAllData>false</FetchAllData>`},
		{&ipam.NotifyAsyncProvisionComplete{Result: &ipam.IpamCredential{}}, `<result xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="IpamCredential">`},
		{&ipam.NotifyAsyncProvisionCheckpoint{Data: []ipam.AnyIpamObject{&ipam.IpamObject{}}}, `<data><IpamObject/></data>`},
	} {
		p, err := soap.NewCodec(soap.EncodingText, soap.Limits{}).Encode(nil, &soap.Header{Action: "urn:test"}, tt.msg)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(p), tt.want) {
			t.Errorf("%T: want %s in\n%s", tt.msg, tt.want, p)
		}
	}
}

type callbackRecorder struct{ calls []string }

func (r *callbackRecorder) NotifyAsyncProvisionStart(context.Context) error {
	r.calls = append(r.calls, "start")
	return nil
}
func (r *callbackRecorder) NotifyAsyncProvisionCheckpoint(_ context.Context, data []ipam.AnyIpamObject) error {
	r.calls = append(r.calls, "checkpoint")
	return nil
}
func (r *callbackRecorder) NotifyAsyncProvisionComplete(_ context.Context, result ipam.AnyIpamObject, exc *ipam.IpamException) error {
	r.calls = append(r.calls, "complete "+exc.ExceptionID)
	return nil
}

// TestCallbackClients: the callback clients send each notification with the
// action of the chosen spelling, and the callback port type's dispatch table
// reads them back into the unwrapped methods.
//
// Rule T9. (docs/protocol.md)
func TestCallbackClients(t *testing.T) {
	ctx := context.Background()
	for _, style := range []ipam.CallbackActionStyle{ipam.CallbackActionsService, ipam.CallbackActionsCallback} {
		actions := ipam.ProvisionCallbackActions(style)
		rec := &callbackRecorder{}
		var sent []string
		client := &ipam.ProvisionCallbackClient{Actions: actions, Send: func(ctx context.Context, action string, body ipam.BodyWriter) error {
			sent = append(sent, action)
			// Deliver it as a client's dispatcher would, by the callback
			// port type's action.
			p, err := soap.NewCodec(soap.EncodingText, soap.Limits{}).Encode(nil, &soap.Header{Action: action}, body)
			if err != nil {
				return err
			}
			env, err := soap.NewCodec(soap.EncodingText, soap.Limits{}).Decode(p)
			if err != nil {
				return err
			}
			name := ipam.IIpamAsyncProvisionPort.CallbackOperations[action]
			for _, op := range ipam.IIpamAsyncProvisionCallbackPort.Operations {
				if op.Name == name {
					_, err = op.Invoke(ctx, rec, env.Body())
					return err
				}
			}
			t.Fatalf("no callback operation %q for %s", name, action)
			return nil
		}}
		for _, call := range []func() error{
			func() error { return client.NotifyAsyncProvisionStart(ctx) },
			func() error { return client.NotifyAsyncProvisionCheckpoint(ctx, nil) },
			func() error { return client.NotifyAsyncProvisionComplete(ctx, nil, exception()) },
		} {
			if err := call(); err != nil {
				t.Fatal(err)
			}
		}
		if want := []string{actions.Start, actions.Checkpoint, actions.Complete}; !slices.Equal(sent, want) {
			t.Errorf("style %d: sent %v, want %v", style, sent, want)
		}
		if want := []string{"start", "checkpoint", "complete " + ipam.IpamApiUnabletoProvisionIpam}; !slices.Equal(rec.calls, want) {
			t.Errorf("style %d: callbacks %v, want %v", style, rec.calls, want)
		}
	}
	if a := ipam.SchemaConversionCallbackActions(ipam.CallbackActionsCallback); a.Complete != ipam.ActionSchemaCallbackNotifyAsyncSchemaConversionComplete ||
		!strings.Contains(a.Start, "/IIpamAsyncSchemaCallback/") {
		t.Errorf("schema conversion callback spelling %+v", a)
	}
}
