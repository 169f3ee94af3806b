package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Type is the value type of a setting.
type Type string

// Setting value types, as shown in the docs and in flag help.
const (
	TypeString   Type = "string"
	TypeList     Type = "list"
	TypeInt      Type = "int"
	TypeDuration Type = "duration"
	TypeBool     Type = "bool"
)

// Setting describes one configuration setting: its YAML key, environment
// variable, flag, help text, default and constraint. The unexported funcs
// bind it to its Config field.
type Setting struct {
	Key     string // dotted YAML key, e.g. "limits.max_message_size"
	Env     string // environment variable, e.g. "IPAMD_LIMITS_MAX_MESSAGE_SIZE"
	Flag    string // flag name without dashes, e.g. "limits-max-message-size"
	Help    string // one-sentence description
	Type    Type
	Allowed string // human-readable constraint, e.g. "1024..67108864"
	// DocDefault, when set, is shown in the docs instead of the default
	// value (for defaults that depend on the platform).
	DocDefault string

	setDefault func(*Config)
	parse      func(*Config, []string) error   // env/flag strings → field
	decode     func(*Config, *yaml.Node) error // YAML node → field
	format     func(*Config) string            // field → display string
	yamlValue  func(*Config) any               // field → value to emit as YAML
	validate   func(*Config) []*Error
}

// Settings returns the descriptor table (copies; the binding funcs are
// kept so Format works).
func Settings() []Setting {
	out := make([]Setting, len(settings))
	for i, s := range settings {
		out[i] = *s
	}
	return out
}

// Format returns the setting's value in c as a display string.
func (s Setting) Format(c *Config) string { return s.format(c) }

// DefaultString is the default as shown in the docs.
func (s Setting) DefaultString() string {
	if s.DocDefault != "" {
		return s.DocDefault
	}
	return s.format(defaultWith(func(string) string { return "" }))
}

// Lookup returns the setting with the given dotted key.
func Lookup(key string) (Setting, bool) {
	for _, s := range settings {
		if s.Key == key {
			return *s, true
		}
	}
	return Setting{}, false
}

func envName(key string) string {
	return "IPAMD_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

func flagName(key string) string {
	return strings.NewReplacer(".", "-", "_", "-").Replace(key)
}

func newSetting(key, help string, t Type, allowed string) *Setting {
	return &Setting{Key: key, Env: envName(key), Flag: flagName(key), Help: help, Type: t, Allowed: allowed}
}

// splitValue turns one env/flag string into the strings parse expects:
// lists are comma-separated, everything else is one value.
func splitValue(s *Setting, v string) []string {
	if s.Type != TypeList {
		return []string{v}
	}
	var out []string
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func one(raw []string) (string, error) {
	if len(raw) != 1 {
		return "", fmt.Errorf("expected one value, got %d", len(raw))
	}
	return strings.TrimSpace(raw[0]), nil
}

func scalar(n *yaml.Node) (*yaml.Node, error) {
	if n.Kind != yaml.ScalarNode {
		return nil, errors.New("expected a single value, not a list or mapping")
	}
	if n.Tag == "!!null" {
		return nil, errors.New(`no value (write "" for an empty string)`)
	}
	return n, nil
}

func fieldErr(key, value string, format string, args ...any) []*Error {
	return []*Error{{Key: key, Value: value, Err: fmt.Errorf(format, args...)}}
}

// ---- constructors, one per type -------------------------------------------

func intSetting(key, help string, def, lo, hi int, p func(*Config) *int) *Setting {
	s := newSetting(key, help, TypeInt, fmt.Sprintf("%d..%d", lo, hi))
	parseInt := func(v string) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return 0, errors.New("expected an integer")
		}
		return n, nil
	}
	s.setDefault = func(c *Config) { *p(c) = def }
	s.parse = func(c *Config, raw []string) error {
		v, err := one(raw)
		if err != nil {
			return err
		}
		n, err := parseInt(v)
		if err != nil {
			return err
		}
		*p(c) = n
		return nil
	}
	s.decode = func(c *Config, n *yaml.Node) error {
		n, err := scalar(n)
		if err != nil {
			return err
		}
		if n.Tag != "!!int" {
			return errors.New("expected an integer")
		}
		v, err := parseInt(n.Value)
		if err != nil {
			return err
		}
		*p(c) = v
		return nil
	}
	s.format = func(c *Config) string { return strconv.Itoa(*p(c)) }
	s.yamlValue = func(c *Config) any { return *p(c) }
	s.validate = func(c *Config) []*Error {
		if v := *p(c); v < lo || v > hi {
			return fieldErr(key, strconv.Itoa(v), "must be between %d and %d", lo, hi)
		}
		return nil
	}
	return s
}

// FormatDuration formats d like time.Duration.String but without zero
// trailing units: 10m instead of 10m0s, 1h instead of 1h0m0s.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		return 0, fmt.Errorf(`expected a Go duration such as "30s", "1m30s" or "250ms"`)
	}
	return d, nil
}

func durationSetting(key, help string, def, lo, hi time.Duration, p func(*Config) *time.Duration) *Setting {
	s := newSetting(key, help, TypeDuration, FormatDuration(lo)+".."+FormatDuration(hi))
	s.setDefault = func(c *Config) { *p(c) = def }
	s.parse = func(c *Config, raw []string) error {
		v, err := one(raw)
		if err != nil {
			return err
		}
		d, err := parseDuration(v)
		if err != nil {
			return err
		}
		*p(c) = d
		return nil
	}
	s.decode = func(c *Config, n *yaml.Node) error {
		n, err := scalar(n)
		if err != nil {
			return err
		}
		d, err := parseDuration(n.Value)
		if err != nil {
			return err
		}
		*p(c) = d
		return nil
	}
	s.format = func(c *Config) string { return FormatDuration(*p(c)) }
	s.yamlValue = func(c *Config) any { return FormatDuration(*p(c)) }
	s.validate = func(c *Config) []*Error {
		if v := *p(c); v < lo || v > hi {
			return fieldErr(key, FormatDuration(v), "must be between %s and %s", FormatDuration(lo), FormatDuration(hi))
		}
		return nil
	}
	return s
}

func boolSetting(key, help string, def bool, p func(*Config) *bool) *Setting {
	s := newSetting(key, help, TypeBool, "true|false")
	parseBool := func(v string) (bool, error) {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return false, errors.New("expected true or false")
		}
		return b, nil
	}
	s.setDefault = func(c *Config) { *p(c) = def }
	s.parse = func(c *Config, raw []string) error {
		v, err := one(raw)
		if err != nil {
			return err
		}
		b, err := parseBool(v)
		if err != nil {
			return err
		}
		*p(c) = b
		return nil
	}
	s.decode = func(c *Config, n *yaml.Node) error {
		n, err := scalar(n)
		if err != nil {
			return err
		}
		if n.Tag != "!!bool" {
			return errors.New("expected true or false")
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			return errors.New("expected true or false")
		}
		*p(c) = b
		return nil
	}
	s.format = func(c *Config) string { return strconv.FormatBool(*p(c)) }
	s.yamlValue = func(c *Config) any { return *p(c) }
	s.validate = func(*Config) []*Error { return nil }
	return s
}

// stringSetting is a free-form string checked by check (nil = anything).
func stringSetting(key, help, allowed, def string, p func(*Config) *string, check func(string) error) *Setting {
	s := newSetting(key, help, TypeString, allowed)
	s.setDefault = func(c *Config) { *p(c) = def }
	s.parse = func(c *Config, raw []string) error {
		v, err := one(raw)
		if err != nil {
			return err
		}
		*p(c) = v
		return nil
	}
	s.decode = func(c *Config, n *yaml.Node) error {
		n, err := scalar(n)
		if err != nil {
			return err
		}
		*p(c) = n.Value
		return nil
	}
	s.format = func(c *Config) string { return *p(c) }
	s.yamlValue = func(c *Config) any { return *p(c) }
	s.validate = func(c *Config) []*Error {
		if check == nil {
			return nil
		}
		if err := check(*p(c)); err != nil {
			return []*Error{{Key: key, Value: quoteRaw(*p(c)), Err: err}}
		}
		return nil
	}
	return s
}

// enumSetting is a string that must be one of allowed.
func enumSetting(key, help, def string, allowed []string, p func(*Config) *string) *Setting {
	s := stringSetting(key, help, strings.Join(allowed, "|"), def, p, func(v string) error {
		if !slices.Contains(allowed, v) {
			return fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
		}
		return nil
	})
	return s
}

// listSetting is a list of strings; elem checks each element, whole the
// list as a whole (either may be nil).
func listSetting(key, help, allowed string, def []string, p func(*Config) *[]string,
	elem func(string) error, whole func([]string) []*Error) *Setting {
	s := newSetting(key, help, TypeList, allowed)
	s.setDefault = func(c *Config) { *p(c) = slices.Clone(def) }
	s.parse = func(c *Config, raw []string) error {
		var out []string
		for _, v := range raw {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		*p(c) = out
		return nil
	}
	s.decode = func(c *Config, n *yaml.Node) error {
		switch n.Kind {
		case yaml.ScalarNode:
			if n.Tag == "!!null" {
				return errors.New("no value (write [] for an empty list)")
			}
			*p(c) = []string{n.Value}
		case yaml.SequenceNode:
			out := make([]string, 0, len(n.Content))
			for _, e := range n.Content {
				if e.Kind != yaml.ScalarNode || e.Tag == "!!null" {
					return fmt.Errorf("line %d: list elements must be strings", e.Line)
				}
				out = append(out, e.Value)
			}
			*p(c) = out
		default:
			return errors.New("expected a list of strings")
		}
		return nil
	}
	s.format = func(c *Config) string { return strings.Join(*p(c), ",") }
	s.yamlValue = func(c *Config) any { return slices.Clone(*p(c)) }
	s.validate = func(c *Config) []*Error {
		var errs []*Error
		list := *p(c)
		if elem != nil {
			for i, v := range list {
				if err := elem(v); err != nil {
					errs = append(errs, &Error{Key: fmt.Sprintf("%s[%d]", key, i), Value: quoteRaw(v), Err: err})
				}
			}
		}
		if whole != nil {
			errs = append(errs, whole(list)...)
		}
		return errs
	}
	return s
}
