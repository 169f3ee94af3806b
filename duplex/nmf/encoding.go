package nmf

// EncodingFor is the Known Encoding byte for a message content type (as a
// SOAP encoding names itself), compared as an Extensible Encoding record's
// content type is; EncodingUnknown when MC-NMF has none. The content type
// is the one vocabulary the framing and the SOAP layer share, so neither
// needs the other's constants.
func EncodingFor(contentType string) Encoding {
	for i, known := range encodingContentTypes {
		if contentType == known { // the usual case, without normalizing
			return Encoding(i)
		}
	}
	return encodingForContentType(contentType)
}
