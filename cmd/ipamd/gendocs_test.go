package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenDocs: the man pages and completions come from the command tree
// (a flag of serve appears in its page and in the completions), carry the
// given date and version rather than the clock's, and two runs give the
// same bytes (the release artifacts' reproducibility depends on it).
func TestGenDocs(t *testing.T) {
	gen := func() (man, compl string) {
		man, compl = t.TempDir(), t.TempDir()
		var out, errb bytes.Buffer
		if code := run([]string{"dev", "gen-docs", "--man", man, "--completions", compl, "--date", "1700000000", "--version", "v9.8.7"}, &out, &errb); code != exitOK {
			t.Fatalf("gen-docs: exit %d: %s", code, errb.String())
		}
		return man, compl
	}
	man1, compl1 := gen()
	man2, compl2 := gen()

	serve, err := os.ReadFile(filepath.Join(man1, "ipamd-serve.1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`.TH "IPAMD" "1" "Nov 2023" "ipamd v9.8.7" "ipamd manual"`, `\fB--listen\fP`, `\fB--limits-max-message-size\fP`} {
		if !bytes.Contains(serve, []byte(want)) {
			t.Errorf("ipamd-serve.1 lacks %q", want)
		}
	}
	if bytes.Contains(serve, []byte("Auto generated")) {
		t.Errorf("ipamd-serve.1 carries cobra's auto-generated tag (a date from the clock)")
	}
	if _, err := os.Stat(filepath.Join(man1, "ipamd-dev.1")); err == nil {
		t.Errorf("the hidden dev command got a man page")
	}
	for _, name := range []string{"ipamd.bash", "_ipamd", "ipamd.fish", "ipamd.ps1"} {
		b, err := os.ReadFile(filepath.Join(compl1, name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "ipamd") {
			t.Errorf("%s does not complete ipamd", name)
		}
	}
	for _, pair := range [][2]string{{man1, man2}, {compl1, compl2}} {
		files, _ := filepath.Glob(filepath.Join(pair[0], "*"))
		if len(files) == 0 {
			t.Fatalf("nothing written in %s", pair[0])
		}
		for _, f := range files {
			a, _ := os.ReadFile(f)
			b, err := os.ReadFile(filepath.Join(pair[1], filepath.Base(f)))
			if err != nil || !bytes.Equal(a, b) {
				t.Errorf("%s differs between two runs (%v)", filepath.Base(f), err)
			}
		}
	}

	var out, errb bytes.Buffer
	t.Setenv("SOURCE_DATE_EPOCH", "")
	if code := run([]string{"dev", "gen-docs", "--man", t.TempDir()}, &out, &errb); code != exitUsage {
		t.Errorf("gen-docs without a date: exit %d, want %d (a date from the clock is not reproducible)", code, exitUsage)
	}
}
