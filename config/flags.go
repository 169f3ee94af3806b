package config

import (
	"flag"
	"fmt"
	"strings"
)

// Flags binds every setting to a command-line flag. Create it with
// BindFlags and pass it to Load in LoadOptions.Flags.
type Flags struct {
	values []*flagValue
}

// BindFlags registers one flag per setting on fs (a standard library flag
// set; cobra/pflag users add it with pflag's AddGoFlagSet). List flags may
// be repeated; bool flags may be given without a value.
func BindFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{}
	def := defaultWith(func(string) string { return "" })
	for _, s := range settings {
		v := &flagValue{s: s, def: s.format(def)}
		if s.DocDefault != "" {
			v.def = ""
		}
		f.values = append(f.values, v)
		fs.Var(v, s.Flag, fmt.Sprintf("%s (env %s)", s.Help, s.Env))
	}
	return f
}

// Changed returns the keys whose flags were given.
func (f *Flags) Changed() []string {
	var keys []string
	for _, v := range f.values {
		if v.set {
			keys = append(keys, v.s.Key)
		}
	}
	return keys
}

// flagValue implements flag.Value and pflag.Value (Type) for one setting.
// It keeps the raw strings; Load parses them after the file and env.
type flagValue struct {
	s   *Setting
	def string
	raw []string
	set bool
}

func (v *flagValue) String() string {
	if v == nil || v.s == nil {
		return ""
	}
	if !v.set {
		return v.def
	}
	return strings.Join(v.raw, ",")
}

func (v *flagValue) Set(str string) error {
	vals := splitValue(v.s, str)
	// Check the syntax now so the flag parser reports it as a usage error;
	// ranges are checked by Validate.
	if err := v.s.parse(defaultWith(func(string) string { return "" }), vals); err != nil {
		return err
	}
	if v.s.Type == TypeList && v.set {
		v.raw = append(v.raw, vals...)
	} else {
		v.raw = vals
	}
	v.set = true
	return nil
}

// Type is the type name pflag shows in help.
func (v *flagValue) Type() string {
	switch v.s.Type {
	case TypeList:
		if v.s.Key == "listen" {
			return "uri"
		}
		return "strings"
	case TypeInt:
		return "int"
	case TypeDuration:
		return "duration"
	case TypeBool:
		return "bool"
	}
	if v.s.Key == "state_dir" {
		return "dir"
	}
	return "string"
}

// IsBoolFlag lets bool flags be given as --name without a value.
func (v *flagValue) IsBoolFlag() bool { return v.s.Type == TypeBool }
