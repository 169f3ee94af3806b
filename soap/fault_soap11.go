package soap

import (
	"fmt"

	"github.com/ipamd/ipamd/soap/xmlstream"
)

// writeBody11 writes the fault as SOAP 1.1 does: faultcode (s:Client,
// s:Server, or the most specific subcode QName, as WCF maps WS-Addressing
// faults), faultstring, detail.
func (f *Fault) writeBody11(w xmlstream.Writer) error {
	w.StartElement("s", "Fault", NSEnvelope11)
	w.StartElement("", "faultcode", "")
	switch {
	case f.Subsubcode != "":
		writeQNameText(w, f.SubcodeSpace, f.Subsubcode)
	case f.Subcode != "":
		writeQNameText(w, f.SubcodeSpace, f.Subcode)
	default:
		switch f.Code {
		case CodeSender:
			w.Text("s:Client")
		case CodeMustUnderstand, CodeVersionMismatch:
			w.Text("s:" + f.Code)
		default:
			w.Text("s:Server")
		}
	}
	w.EndElement()
	lang := f.Lang
	if lang == "" {
		lang = "en-US"
	}
	w.StartElement("", "faultstring", "")
	w.Attr("xml", "lang", NSXML, lang)
	w.Text(f.Reason)
	w.EndElement()
	if f.Detail != nil {
		if err := w.StartElement("", "detail", ""); err != nil {
			return err
		}
		if err := f.Detail.WriteBody(w); err != nil {
			return fmt.Errorf("fault detail: %w", err)
		}
		w.EndElement()
	}
	return w.EndElement()
}

// writeQNameText writes the text p:local with p declared on the current
// element (the SOAP 1.1 faultcode).
func writeQNameText(w xmlstream.Writer, space, local string) {
	switch space {
	case "":
		w.Text(local)
	case NSEnvelope11:
		w.Text("s:" + local)
	default:
		w.XmlnsAttr("a", space)
		w.Text("a:" + local)
	}
}
