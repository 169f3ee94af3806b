package soap

import (
	"github.com/ipamd/ipamd/soap/xmlstream"
)

// WriteNil writes <prefix:local i:nil="true"/>, declaring i as WCF does.
func WriteNil(w xmlstream.Writer, prefix, local, space string) error {
	w.StartElement(prefix, local, space)
	w.Attr("i", "nil", NSXSI, "true")
	return w.EndElement()
}

// WriteTextElement writes <prefix:local>text</prefix:local>.
func WriteTextElement(w xmlstream.Writer, prefix, local, space, text string) error {
	w.StartElement(prefix, local, space)
	w.Text(text)
	return w.EndElement()
}
