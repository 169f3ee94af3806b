package main

import (
	"bytes"
	"embed"
	"fmt"
	"go/format"
	"strconv"
	"strings"
	"text/template"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("ipamgen").Funcs(template.FuncMap{
	"quote":   strconv.Quote,
	"comment": comment,
	"doc":     doc,
	"more": func(text string) string {
		if strings.TrimSpace(text) == "" {
			return ""
		}
		return "//\n" + comment(text)
	},
	"join": strings.Join,
	"typeNames": func(types []*Struct) string {
		names := make([]string, len(types))
		for i, t := range types {
			names[i] = "*" + t.Name
		}
		return strings.Join(names, ", ")
	},
}).ParseFS(templateFS, "templates/*.tmpl"))

// Generate returns the gofmt'ed Go source for the WSDL document src.
func Generate(src []byte, opts Options) ([]byte, error) {
	d, err := load(src)
	if err != nil {
		return nil, err
	}
	f, err := build(d, opts)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "file", f); err != nil {
		return nil, fmt.Errorf("execute templates: %w", err)
	}
	out, err := format.Source(buf.Bytes())
	if err != nil {
		// The templates produced invalid Go: a bug here, not in the WSDL.
		return nil, fmt.Errorf("gofmt the generated code: %w\n%s", err, numbered(buf.Bytes()))
	}
	return out, nil
}

// comment renders documentation text as a Go line comment block, one
// sentence-preserving line per source line, "//" prefixed.
func comment(text string) string {
	text = strings.TrimSpace(text)
	if text == "" {
		return ""
	}
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			b.WriteString("//\n")
			continue
		}
		b.WriteString("// " + line + "\n")
	}
	return b.String()
}

// doc formats a generated doc comment (fmt-style) as "//" lines of at most
// about 80 columns.
func doc(format string, args ...any) string {
	words := strings.Fields(fmt.Sprintf(format, args...))
	var b strings.Builder
	line := "//"
	for _, w := range words {
		if len(line) > 2 && len(line)+1+len(w) > 80 {
			b.WriteString(line + "\n")
			line = "//"
		}
		line += " " + w
	}
	b.WriteString(line + "\n")
	return b.String()
}

func numbered(src []byte) string {
	var b strings.Builder
	for i, line := range strings.Split(string(src), "\n") {
		fmt.Fprintf(&b, "%4d %s\n", i+1, line)
	}
	return b.String()
}
