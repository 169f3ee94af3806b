package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestDevLegacyStoreAndConvert makes a small v1 store with the hidden dev
// command, converts it, and checks a second conversion finds nothing to do.
func TestDevLegacyStoreAndConvert(t *testing.T) {
	path := filepath.Join(t.TempDir(), "legacy.db")
	out, errOut, code := ipamd(t, nil, "dev", "make-legacy-store", "--engine", "sqlite", "--path", path, "--addresses", "2000", "--seed", "3")
	if code != 0 || !strings.Contains(out, "wrote 2000 addresses") {
		t.Fatalf("make-legacy-store: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = ipamd(t, nil, "dev", "convert-store", "--path", path, "--progress")
	if code != 0 || !strings.Contains(out, "converted schema 6.2.0.0 to 10.0.0.0") || !strings.Contains(out, "progress 4 backfill addresses") {
		t.Fatalf("convert-store: exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = ipamd(t, nil, "dev", "convert-store", "--path", path)
	if code != 0 || !strings.Contains(out, "nothing to convert") {
		t.Fatalf("second convert-store: exit %d\n%s", code, out)
	}
	if _, _, code := ipamd(t, nil, "dev", "convert-store", "--engine", "postgres", "--path", path); code != 2 {
		t.Errorf("--engine postgres with --path: exit %d, want 2", code)
	}
	// The dev command stays out of the help.
	if out, _, _ := ipamd(t, nil, "--help"); strings.Contains(out, "dev") {
		t.Errorf("ipamd --help lists the hidden dev command:\n%s", out)
	}
}
