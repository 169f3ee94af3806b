package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// applyYAML decodes a YAML document onto c, strictly: unknown keys,
// duplicate keys and values of the wrong type are errors naming the key and
// the line. Only the keys present in the document change.
func (c *Config) applyYAML(data []byte, source string) []error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty file
		}
		return []error{fmt.Errorf("config: %s: %w", source, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return []error{fmt.Errorf("config: %s: expected a single YAML document", source)}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	var errs []error
	c.applyMapping(root, "", source, &errs)
	return errs
}

// knownPrefix reports whether key is a group (e.g. "limits") of the table.
func knownPrefix(key string) bool {
	for _, s := range settings {
		if strings.HasPrefix(s.Key, key+".") {
			return true
		}
	}
	return false
}

func (c *Config) applyMapping(n *yaml.Node, prefix, source string, errs *[]error) {
	where := func(line int) string { return fmt.Sprintf("file %s:%d", source, line) }
	if n.Kind != yaml.MappingNode {
		key := strings.TrimSuffix(prefix, ".")
		if key == "" {
			key = "(top level)"
		}
		*errs = append(*errs, &Error{Key: key, Source: where(n.Line), Err: errors.New("expected a mapping of keys")})
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		key := prefix + kn.Value
		if seen[key] {
			*errs = append(*errs, &Error{Key: key, Source: where(kn.Line), Err: errors.New("duplicate key")})
			continue
		}
		seen[key] = true
		if s := lookup(key); s != nil {
			if err := s.decode(c, vn); err != nil {
				*errs = append(*errs, &Error{Key: key, Source: where(vn.Line), Err: err})
				continue
			}
			c.origin[key] = where(kn.Line)
			continue
		}
		if knownPrefix(key) {
			if vn.Kind == yaml.ScalarNode && vn.Tag == "!!null" {
				continue // "limits:" with nothing under it
			}
			c.applyMapping(vn, key+".", source, errs)
			continue
		}
		*errs = append(*errs, &Error{Key: key, Source: where(kn.Line), Err: errors.New("unknown key" + suggest(key))})
	}
}

func lookup(key string) *Setting {
	for _, s := range settings {
		if s.Key == key {
			return s
		}
	}
	return nil
}

// suggest returns ` (did you mean "x"?)` for a near miss.
func suggest(key string) string {
	best, bestD := "", max(3, len(key)/4)+1
	for _, s := range settings {
		if d := editDistance(key, s.Key); d < bestD {
			best, bestD = s.Key, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// YAML renders c as a YAML document in table order (what `ipamd config
// print` shows). It decodes back to the same Config.
func (c *Config) YAML() []byte { return render(c, false) }

// render writes the settings of c as YAML. With comments, each key gets
// its help, constraint, env var and flag, and state_dir is commented out
// (its default is platform-specific).
func render(c *Config, comments bool) []byte {
	var b bytes.Buffer
	group := ""
	for i, s := range settings {
		g, leaf, nested := strings.Cut(s.Key, ".")
		if !nested {
			g, leaf = "", s.Key
		}
		if comments && i > 0 {
			b.WriteString("\n")
		}
		if nested && g != group {
			b.WriteString(g + ":\n")
		}
		group = g
		indent := ""
		if nested {
			indent = "  "
		}
		if comments {
			for _, line := range wrap(s.Help, 76-len(indent)) {
				b.WriteString(indent + "# " + line + "\n")
			}
			fmt.Fprintf(&b, "%s# Allowed: %s.\n%s# Env: %s. Flag: --%s.\n", indent, s.Allowed, indent, s.Env, s.Flag)
		}
		prefix := ""
		if comments && s.DocDefault != "" {
			fmt.Fprintf(&b, "%s# Default: %s.\n", indent, strings.ReplaceAll(s.DocDefault, "`", ""))
			prefix = "# "
		}
		val := s.yamlValue(c)
		if list, ok := val.([]string); ok {
			if len(list) == 0 {
				fmt.Fprintf(&b, "%s%s%s: []\n", indent, prefix, leaf)
				continue
			}
			fmt.Fprintf(&b, "%s%s%s:\n", indent, prefix, leaf)
			for _, e := range list {
				fmt.Fprintf(&b, "%s%s  - %s\n", indent, prefix, yamlScalar(e))
			}
			continue
		}
		if comments && s.DocDefault != "" {
			val = "/var/lib/ipamd"
		}
		fmt.Fprintf(&b, "%s%s%s: %s\n", indent, prefix, leaf, yamlScalar(val))
	}
	return b.Bytes()
}

func yamlScalar(v any) string {
	out, err := yaml.Marshal(v)
	if err != nil {
		panic(err) // scalars of our own types always marshal
	}
	return strings.TrimSuffix(string(out), "\n")
}

func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = w
			continue
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
