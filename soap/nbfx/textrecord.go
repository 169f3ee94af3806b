package nbfx

import (
	"errors"
	"unicode/utf8"
)

// errTextRecord is AppendTextWithEnd's refusal: what Writer.Text would
// refuse too.
var errTextRecord = errors.New("nbfx: text is not UTF-8 or too long for a record")

// AppendTextWithEnd appends the record Writer.Text(s) followed by
// Writer.EndElement writes: the text record of s with the EndElement
// folded into its type (…WithEndElement). It is the same code as the
// Writer's, so a message template can patch a header value into bytes the
// Writer encoded once (soap's templates, docs/performance.md). The bytes
// do not depend on any session table: text records never name session
// strings. An error means Writer.Text would fail.
func AppendTextWithEnd(dst []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return dst, errTextRecord
	}
	at := len(dst)
	b, ok := appendTextRecord(dst, s)
	if !ok {
		return dst, errTextRecord
	}
	b[at] |= 1 // …TextWithEndElement, as Writer.EndElement folds it
	return b, nil
}
