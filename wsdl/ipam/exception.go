package ipam

import (
	"fmt"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// IpamExceptionId (2.2.5.67) values ipamd raises. The enumeration has 800+
// values; these are the ones the async port types use.
const (
	IpamApiAccessDenied                                  = "IpamApiAccessDenied"
	IpamApiInvalidParameter                              = "IpamApiInvalidParameter"
	IpamApiGenericErrorOccurred                          = "IpamApiGenericErrorOccurred"
	IpamApiCallsAreNotAllowedUntilProvisioningIsDone     = "IpamApiCallsAreNotAllowedUntilProvisioningIsDone"
	IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone = "IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone"
	IpamApiProvisioningAlreadyInProgress                 = "IpamApiProvisioningAlreadyInProgress"
	IpamApiUnabletoProvisionIpam                         = "IpamApiUnabletoProvisionIpam"
	IpamApiErrorIpamAlreadyProvisioned                   = "IpamApiErrorIpamAlreadyProvisioned"
	IpamErrorIPAMNotProvisioned                          = "IpamErrorIPAMNotProvisioned"
	IpamApiErrorDatabaseCreationOrPopulationFailed       = "IpamApiErrorDatabaseCreationOrPopulationFailed"
	IpamApiInvalidGpoPrefix                              = "IpamApiInvalidGpoPrefix"
	IpamApiErrorInvalidDatabaseConfiguration             = "IpamApiErrorInvalidDatabaseConfiguration"
	IpamSchemaConversionAnotherOperationInProgress       = "IpamSchemaConversionAnotherOperationInProgress"
	IpamSchemaConversionNotRequired                      = "IpamSchemaConversionNotRequired"
	IpamSchemaConversionFailed                           = "IpamSchemaConversionFailed"
	// IIpamEnumerator (docs/protocol.md, "IIpamEnumerator").
	IpamApiInvalidEnumeration   = "IpamApiInvalidEnumeration"
	IpamApiInvalidAddressFamily = "IpamApiInvalidAddressFamily"
	IpamApiFetchFailed          = "IpamApiFetchFailed"
	// Raised by the data store (store package).
	IpamApiErrorSQLServiceConfigurationFailed        = "IpamApiErrorSQLServiceConfigurationFailed"
	IpamApiRBACProvisioningFailed                    = "IpamApiRBACProvisioningFailed"
	IpamApiErrorDatabaseIsAtHigherVersion            = "IpamApiErrorDatabaseIsAtHigherVersion"
	IpamSchemaConversionCouldNotBeDoneForThisVersion = "IpamSchemaConversionCouldNotBeDoneForThisVersion"
)

// IpamException (2.2.4.247) is the fault detail of every IPAM SOAP fault and
// the exception member of Notify…Complete. It is also a Go error, so the
// services return it and the session layer turns it into the wire form.
type IpamException struct {
	ExceptionID string // an IpamExceptionId value
	Message     string
	Inner       *IpamException
}

// NewException returns an IpamException with the given id and message.
//
// The message is cut to MaxExceptionMessageBytes (xmlstream.Truncate): it
// may carry client input, and it goes to the client and the log.
func NewException(id, format string, args ...any) *IpamException {
	return &IpamException{ExceptionID: id, Message: xmlstream.Truncate(fmt.Sprintf(format, args...), MaxExceptionMessageBytes)}
}

// MaxExceptionMessageBytes bounds the Message of NewException.
const MaxExceptionMessageBytes = 1024

func (e *IpamException) Error() string {
	if e.Inner != nil {
		return fmt.Sprintf("%s: %s (inner: %v)", e.ExceptionID, e.Message, e.Inner)
	}
	return fmt.Sprintf("%s: %s", e.ExceptionID, e.Message)
}

// The HRESULT System.Exception carries for a plain exception (COR_E_EXCEPTION).
const hresultException = "-2146233088"

// WriteElement writes the exception as the element {space}local the way
// DataContractSerializer serialises an ISerializable exception: the element's
// children are the SerializationInfo entries, unqualified (xmlns=""), each
// typed with xsi:type — the System.Exception members a .NET client's
// Exception(SerializationInfo, StreamingContext) constructor requires, then
// IpamException's own IpamExceptionData and InnerIpamException
// (docs/protocol.md#faults-and-ipamexception).
func (e *IpamException) WriteElement(w xmlstream.Writer, prefix, local, space string) error {
	if err := w.StartElement(prefix, local, space); err != nil {
		return err
	}
	if err := e.writeContent(w); err != nil {
		return err
	}
	return w.EndElement()
}

// The XSD declares ipam1:IpamException as an extension of sys:Exception,
// whose content is xs:any: the generator cannot derive its members, so
// IpamException is hand-written (ipamgen -handwritten) and provides the three
// methods the generated code calls on every complex type.

func (*IpamException) xsdType() (space, local string) {
	return NamespaceDataContract, "IpamException"
}

// writeContent writes the exception's attributes and members into the
// element just started.
func (e *IpamException) writeContent(w xmlstream.Writer) error {
	if e == nil {
		return errNil("IpamException")
	}
	// Declare the prefix the typed members use once, on the exception.
	if err := w.XmlnsAttr("x", NamespaceXSD); err != nil {
		return err
	}
	return e.writeMembers(w)
}

// readContent is ReadException into e.
func (e *IpamException) readContent(r xmlstream.Reader) error {
	got, err := ReadException(r)
	if err != nil {
		return err
	}
	*e = *got
	return nil
}

func (e *IpamException) writeMembers(w xmlstream.Writer) error {
	members := []struct{ name, xsdType, value string }{
		{"ClassName", "x:string", "Microsoft.Windows.Ipam.IpamException"},
		{"Message", "x:string", e.Message},
		{"Data", "", ""},
		{"InnerException", "", ""},
		{"HelpURL", "", ""},
		{"StackTraceString", "", ""},
		{"RemoteStackTraceString", "", ""},
		{"RemoteStackIndex", "x:int", "0"},
		{"ExceptionMethod", "", ""},
		{"HResult", "x:int", hresultException},
		{"Source", "", ""},
	}
	for _, m := range members {
		if err := w.StartElement("", m.name, ""); err != nil {
			return err
		}
		if m.xsdType == "" {
			if err := w.Attr("i", "nil", NamespaceXSI, "true"); err != nil {
				return err
			}
		} else {
			if err := w.Attr("i", "type", NamespaceXSI, m.xsdType); err != nil {
				return err
			}
			if err := w.Text(m.value); err != nil {
				return err
			}
		}
		if err := w.EndElement(); err != nil {
			return err
		}
	}
	// IpamExceptionData: typed as ipam:IpamExceptionData, members in the
	// service namespace.
	if err := w.StartElement("", "IpamExceptionData", ""); err != nil {
		return err
	}
	if err := w.XmlnsAttr("b", Namespace); err != nil {
		return err
	}
	if err := w.Attr("i", "type", NamespaceXSI, "b:IpamExceptionData"); err != nil {
		return err
	}
	for _, m := range []struct{ name, value string }{{"ExceptionId", e.ExceptionID}, {"ExceptionMessage", e.Message}} {
		if err := w.StartElement("b", m.name, Namespace); err != nil {
			return err
		}
		if err := w.Text(m.value); err != nil {
			return err
		}
		if err := w.EndElement(); err != nil {
			return err
		}
	}
	if err := w.EndElement(); err != nil {
		return err
	}
	// InnerIpamException: nil or a nested IpamException.
	if err := w.StartElement("", "InnerIpamException", ""); err != nil {
		return err
	}
	if e.Inner == nil {
		if err := w.Attr("i", "nil", NamespaceXSI, "true"); err != nil {
			return err
		}
	} else {
		if err := w.XmlnsAttr("c", NamespaceDataContract); err != nil {
			return err
		}
		if err := w.Attr("i", "type", NamespaceXSI, "c:IpamException"); err != nil {
			return err
		}
		if err := e.Inner.writeMembers(w); err != nil {
			return err
		}
	}
	return w.EndElement()
}

// FaultDetail is the <s:Detail> content of an IPAM SOAP fault: the exception
// as the element {ipam1}IpamException (MS-IPAMM2 2.2.2.1).
type FaultDetail struct{ Exception *IpamException }

// WriteBody writes the detail element.
func (d FaultDetail) WriteBody(w xmlstream.Writer) error {
	return d.Exception.WriteElement(w, "", "IpamException", NamespaceDataContract)
}

// ReadException decodes an IpamException element's members (after its
// StartElement was read), the inverse of WriteElement. Used by clients and
// tests; unknown members are skipped.
func ReadException(r xmlstream.Reader) (*IpamException, error) {
	e := &IpamException{}
	for {
		n, err := xmlstream.NextStart(r)
		if err != nil {
			return nil, err
		}
		if n == nil {
			return e, nil
		}
		switch n.Name.Local {
		case "Message":
			if xmlstream.IsNil(n) {
				err = xmlstream.Skip(r)
			} else {
				e.Message, err = xmlstream.ReadText(r)
			}
		case "IpamExceptionData":
			err = readExceptionData(r, e)
		case "InnerIpamException":
			if xmlstream.IsNil(n) {
				err = xmlstream.Skip(r)
			} else {
				e.Inner, err = ReadException(r)
			}
		default:
			err = xmlstream.Skip(r)
		}
		if err != nil {
			return nil, err
		}
	}
}

func readExceptionData(r xmlstream.Reader, e *IpamException) error {
	for {
		n, err := xmlstream.NextStart(r)
		if err != nil {
			return err
		}
		if n == nil {
			return nil
		}
		switch n.Name.Local {
		case "ExceptionId":
			e.ExceptionID, err = xmlstream.ReadText(r)
		case "ExceptionMessage":
			if xmlstream.IsNil(n) {
				err = xmlstream.Skip(r)
			} else {
				var msg string
				msg, err = xmlstream.ReadText(r)
				if e.Message == "" {
					e.Message = msg
				}
			}
		default:
			err = xmlstream.Skip(r)
		}
		if err != nil {
			return err
		}
	}
}
