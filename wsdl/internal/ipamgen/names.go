package main

import (
	"go/token"
	"strings"
	"unicode"
)

// exported turns an XML name (an NCName: letters, digits, '.', '-', '_')
// into an exported Go identifier. Characters Go does not allow become word
// breaks; the first letter of every word is upper-cased, the rest is kept
// ("ArrayOfstring" stays as it is, "ipam-object.v2" becomes "IpamObjectV2").
// A name starting with a digit gets an "X" in front.
func exported(name string) string {
	var b strings.Builder
	upper := true
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
			upper = false
		}
		b.WriteRune(r)
	}
	s := b.String()
	if s == "" || unicode.IsDigit(rune(s[0])) {
		s = "X" + s
	}
	return s
}

// unexported is exported with a lower-case first letter, made safe as a
// parameter or variable name (Go keywords and the generated code's own
// names get a "Value" suffix).
func unexported(name string) string {
	s := exported(name)
	runes := []rune(s)
	// Lower the leading run of capitals, keeping the last one of a longer
	// run as the start of the next word ("IPAddress" -> "ipAddress").
	i := 0
	for i < len(runes) && unicode.IsUpper(runes[i]) {
		i++
	}
	switch {
	case i == len(runes):
		s = strings.ToLower(s)
	case i > 1:
		s = strings.ToLower(string(runes[:i-1])) + string(runes[i-1:])
	default:
		s = strings.ToLower(string(runes[:1])) + string(runes[1:])
	}
	if token.IsKeyword(s) || reservedParams[s] {
		s += "Value"
	}
	return s
}

// reservedParams are names a generated method already uses for its own
// parameters or that would shadow what its body refers to.
var reservedParams = map[string]bool{
	"ctx": true, "c": true, "w": true, "r": true, "n": true, "err": true, "v": true,
	"any": true, "bool": true, "byte": true, "error": true, "string": true, "int": true, "len": true,
	"new": true, "nil": true, "true": true, "false": true, "context": true, "fmt": true, "xmlstream": true,
}

// camelWords splits an identifier into its words at lower-to-upper case
// changes ("NotifyAsyncProvisionStart" -> Notify Async Provision Start;
// "IPAddress" -> IP Address).
func camelWords(s string) []string {
	runes := []rune(s)
	var words []string
	start := 0
	for i := 1; i < len(runes); i++ {
		prev, cur := runes[i-1], runes[i]
		next := rune(0)
		if i+1 < len(runes) {
			next = runes[i+1]
		}
		if unicode.IsUpper(cur) && (!unicode.IsUpper(prev) || (next != 0 && unicode.IsLower(next))) {
			words = append(words, string(runes[start:i]))
			start = i
		}
	}
	if start < len(runes) {
		words = append(words, string(runes[start:]))
	}
	return words
}

// stripCommonWords removes from every name the longest run of leading
// words all names share, but never a name's last word: the callback
// operations NotifyAsyncProvisionStart, …Checkpoint and …Complete become
// Start, Checkpoint and Complete; a single NotifyDone becomes Done.
func stripCommonWords(names []string) []string {
	split := make([][]string, len(names))
	common := -1
	for i, n := range names {
		split[i] = camelWords(n)
		limit := len(split[i]) - 1
		if common < 0 || limit < common {
			common = limit
		}
	}
	if common < 0 {
		return nil
	}
	k := 0
	for ; k < common; k++ {
		w := split[0][k]
		same := true
		for _, s := range split[1:] {
			if s[k] != w {
				same = false
				break
			}
		}
		if !same {
			break
		}
	}
	out := make([]string, len(names))
	for i, s := range split {
		out[i] = strings.Join(s[k:], "")
	}
	return out
}
