package config

import (
	"bytes"
	"fmt"
	"strings"
)

//go:generate go run ./internal/gendocs -markdown ../docs/configuration.md -example ../deploy/ipamd.example.yaml

const generatedNote = "generated from the settings table in config/settings.go by `go generate ./config`; do not edit"

// RenderMarkdown returns docs/configuration.md.
func RenderMarkdown() []byte {
	var b bytes.Buffer
	b.WriteString("# ipamd configuration\n\n")
	b.WriteString("<!-- " + generatedNote + ". -->\n\n")
	b.WriteString(`Every setting can be given in four places; later ones win:

1. the built-in default,
2. the YAML file named by ` + "`--config FILE`" + ` (keys nest on the dots: ` + "`limits.max_message_size`" + ` is
   ` + "`max_message_size`" + ` under ` + "`limits:`" + `; unknown keys are an error),
3. the environment variable (` + "`IPAMD_`" + ` + the key in upper snake case; lists are comma-separated; an empty
   variable counts as unset),
4. the command-line flag of ` + "`ipamd serve`" + ` / ` + "`ipamd config print|validate`" + ` (list flags may be repeated).

Durations are Go duration strings (` + "`250ms`, `30s`, `1m30s`, `2h`" + `). ` + "`ipamd config print`" + ` shows the effective
configuration; ` + "`ipamd config validate --config FILE`" + ` checks a file. An invalid value stops ` + "`ipamd`" + ` with exit
code 2 and an error naming the key and the allowed values. [deploy/ipamd.example.yaml](../deploy/ipamd.example.yaml)
lists every key with its default.

`)
	b.WriteString("| Key | Environment | Flag | Type | Default | Allowed | Description |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, s := range settings {
		def := s.DefaultString()
		if s.DocDefault == "" {
			def = "`" + def + "`"
			if def == "``" {
				def = `""`
			}
		} else {
			def = "see below"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | `--%s` | %s | %s | %s | %s |\n",
			s.Key, s.Env, s.Flag, s.Type, def, mdEscape(s.Allowed), mdEscape(s.Help))
	}
	b.WriteString("\n### Default of `state_dir`\n\n")
	b.WriteString(strings.ToUpper(stateDirDoc[:1]) + stateDirDoc[1:] + ".\n")
	b.WriteString("\n### How exactly the net.tcp time limits hold\n\n")
	b.WriteString(timeLimitsDoc + "\n")
	return b.Bytes()
}

// timeLimitsDoc says how late a net.tcp read or write bound may fire: the
// socket's deadline is kept between a session's messages rather than set
// for each (duplex/nmf, deadlines.armLocked).
const timeLimitsDoc = "A net.tcp connection's read and write limits (limits.preamble_timeout, limits.idle_timeout, " +
	"limits.close_timeout, security.handshake_timeout and the write limit) never end an operation early. " +
	"They may end it later than set by up to an eighth of the limit and at most one second: the socket's deadline " +
	"set for one message is kept for the next ones that come within that slack, instead of being set again for each."

// RenderExampleYAML returns deploy/ipamd.example.yaml: every key with its
// default and a comment.
func RenderExampleYAML() []byte {
	var b bytes.Buffer
	b.WriteString("# ipamd example configuration (" + generatedNote + ").\n")
	b.WriteString("# Every key is shown with its default. Use it with: ipamd serve --config /etc/ipamd/ipamd.yaml\n")
	b.WriteString("# Environment variables override this file, and flags override both.\n\n")
	b.Write(render(defaultWith(func(string) string { return "" }), true))
	return b.Bytes()
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
}
