package nbfx

import "testing"

// TestStaticTextFindsEveryStaticString holds the first-byte, last-byte and
// length filter of staticText to the map: every static string is still
// found with its id, and text that is none of them is not.
func TestStaticTextFindsEveryStaticString(t *testing.T) {
	for _, s := range staticStrings {
		if s == "" {
			continue
		}
		id, ok := staticText(s)
		if want := staticIDs[s]; !ok || id != want {
			t.Errorf("staticText(%q) = %d, %v; want %d, true", s, id, ok, want)
		}
		for _, other := range []string{s + "x", "x" + s, s[:len(s)-1] + "\x00"} {
			if _, static := staticIDs[other]; static {
				continue
			}
			if _, ok := staticText(other); ok {
				t.Errorf("staticText(%q) found a string that is not static", other)
			}
		}
	}
}
