package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// newGenDocsCmd is the hidden "dev gen-docs" command behind `make dist`:
// man pages (section 1) and shell completions generated from this command
// tree by cobra's generators, so they cannot drift from the flags. The
// date in the man pages is --date (a Unix time; the release's commit time),
// never the clock, so the same commit gives the same bytes.
func newGenDocsCmd(stdout io.Writer) *cobra.Command {
	var manDir, complDir, version string
	var date int64
	cmd := &cobra.Command{
		Use:   "gen-docs --man DIR --completions DIR --date UNIXTIME",
		Short: "Write man pages and shell completions generated from the command tree (release artifacts)",
		Args:  cobra.NoArgs,
	}
	cmd.Flags().StringVar(&manDir, "man", "", "write man pages (section 1) into `DIR`")
	cmd.Flags().StringVar(&complDir, "completions", "", "write bash, zsh, fish and PowerShell completions into `DIR`")
	cmd.Flags().Int64Var(&date, "date", 0, "date of the man pages as a Unix `TIME` (default $SOURCE_DATE_EPOCH)")
	cmd.Flags().StringVar(&version, "version", "", "version named in the man pages' footer (default this binary's)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if manDir == "" && complDir == "" {
			return fmt.Errorf("nothing to do: give --man and/or --completions")
		}
		if date == 0 {
			epoch, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64)
			if err != nil {
				return fmt.Errorf("--date or SOURCE_DATE_EPOCH is required (a fixed date keeps the man pages reproducible)")
			}
			date = epoch
		}
		if version == "" {
			version = buildVersion().Version
		}
		root := cmd.Root()
		if manDir != "" {
			if err := genMan(root, manDir, time.Unix(date, 0).UTC(), version); err != nil {
				return runtimeError(err)
			}
			fmt.Fprintln(stdout, "man pages:", manDir)
		}
		if complDir != "" {
			if err := genCompletions(root, complDir); err != nil {
				return runtimeError(err)
			}
			fmt.Fprintln(stdout, "completions:", complDir)
		}
		return nil
	}
	return cmd
}

func genMan(root *cobra.Command, dir string, date time.Time, version string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	header := &doc.GenManHeader{Title: "IPAMD", Section: "1", Date: &date, Source: "ipamd " + version, Manual: "ipamd manual"}
	root.DisableAutoGenTag = true
	return doc.GenManTree(root, header, dir)
}

// Completion file names follow where each shell's packages install them:
// bash-completion's completions/ipamd, zsh's _ipamd, fish's ipamd.fish.
func genCompletions(root *cobra.Command, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	gens := []struct {
		name string
		gen  func(io.Writer) error
	}{
		{"ipamd.bash", func(w io.Writer) error { return root.GenBashCompletionV2(w, true) }},
		{"_ipamd", root.GenZshCompletion},
		{"ipamd.fish", func(w io.Writer) error { return root.GenFishCompletion(w, true) }},
		{"ipamd.ps1", root.GenPowerShellCompletionWithDesc},
	}
	for _, g := range gens {
		f, err := os.Create(filepath.Join(dir, g.name))
		if err != nil {
			return err
		}
		err = g.gen(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("completion %s: %w", g.name, err)
		}
	}
	return nil
}
