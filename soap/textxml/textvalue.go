package textxml

import "fmt"

// AppendText appends s as Writer.Text writes it into an element whose
// start tag is already closed: checked (XML 1.0 characters) and escaped.
// It is the same code as the Writer's, so a message template can patch a
// header value into bytes the Writer encoded once (soap's templates,
// docs/performance.md). An error means Writer.Text would fail.
func AppendText(dst []byte, s string) ([]byte, error) {
	if err := checkChars(s); err != nil {
		return dst, fmt.Errorf("textxml: text: %w", err)
	}
	return appendEscaped(dst, s, false), nil
}
