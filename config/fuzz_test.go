package config

import (
	"testing"
)

// FuzzYAML: any file content yields a config or an error, never a panic,
// and an accepted config renders to YAML that loads back.
func FuzzYAML(f *testing.F) {
	// Small seeds only: the fuzzer minimizes every new input, which takes
	// most of a short -fuzztime for a multi-kilobyte seed.
	f.Add([]byte("listen:\n  - net.tcp://0.0.0.0:48885\nlog:\n  level: info\n"))
	f.Add([]byte("limits:\n  max_message_size: 2000\nlisten: [net.tcp://h:1]\n"))
	f.Add([]byte("dev: {fail_with: X, provisioned: true}\n"))
	f.Add([]byte("a: &x 1\nb: *x\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		c := defaultWith(func(string) string { return dir })
		c.StateDir = dir
		c.origin = map[string]string{}
		if errs := c.applyYAML(data, "fuzz"); len(errs) > 0 {
			return
		}
		if c.Validate() != nil {
			return
		}
		c2 := defaultWith(func(string) string { return dir })
		c2.StateDir = dir
		c2.origin = map[string]string{}
		if errs := c2.applyYAML(c.YAML(), "rendered"); len(errs) > 0 {
			t.Fatalf("rendered config does not load: %v\n%s", errs, c.YAML())
		}
		if string(c2.YAML()) != string(c.YAML()) {
			t.Fatalf("render not stable:\n%s\n---\n%s", c.YAML(), c2.YAML())
		}
	})
}

// FuzzParseListenURI: no panics; accepted URIs round-trip through String.
func FuzzParseListenURI(f *testing.F) {
	for _, s := range []string{"net.tcp://0.0.0.0:48885", "http://[::1]:80/", "net.tcp://h", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseListenURI(s)
		if err != nil {
			return
		}
		l2, err := ParseListenURI(l.String())
		if err != nil || l2 != l {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, l, l.String(), l2, err)
		}
	})
}
