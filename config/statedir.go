package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

const stateDirDoc = "platform-specific: Linux `$STATE_DIRECTORY` (systemd) if set, else `/var/lib/ipamd` as root, else `$XDG_STATE_HOME/ipamd` or `~/.local/state/ipamd`; Windows `%ProgramData%\\ipamd`; macOS `~/Library/Application Support/ipamd`"

// DefaultStateDir returns the platform's default state directory for this
// process ("" if none can be determined).
func DefaultStateDir() string { return defaultStateDir(os.Getenv) }

func defaultStateDir(getenv func(string) string) string {
	home := func() string {
		if h := getenv("HOME"); h != "" && runtime.GOOS != "windows" {
			return h
		}
		h, _ := os.UserHomeDir()
		return h
	}
	switch runtime.GOOS {
	case "windows":
		pd := getenv("ProgramData")
		if pd == "" {
			pd = getenv("PROGRAMDATA")
		}
		if pd == "" {
			pd = `C:\ProgramData`
		}
		return filepath.Join(pd, "ipamd")
	case "darwin", "ios":
		if h := home(); h != "" {
			return filepath.Join(h, "Library", "Application Support", "ipamd")
		}
		return ""
	default: // Linux and other Unix
		if sd := getenv("STATE_DIRECTORY"); sd != "" {
			// systemd passes a colon-separated list when StateDirectory=
			// names several; ours is the first.
			first, _, _ := strings.Cut(sd, ":")
			if filepath.IsAbs(first) {
				return first
			}
		}
		if os.Geteuid() == 0 {
			return "/var/lib/ipamd"
		}
		if x := getenv("XDG_STATE_HOME"); filepath.IsAbs(x) {
			return filepath.Join(x, "ipamd")
		}
		if h := home(); h != "" {
			return filepath.Join(h, ".local", "state", "ipamd")
		}
		return ""
	}
}

// checkStateDir accepts a directory that exists or whose nearest existing
// ancestor is a directory. It creates nothing.
func checkStateDir(dir string) error {
	if dir == "" {
		return errors.New("must be set (no platform default could be determined)")
	}
	if strings.ContainsRune(dir, 0) {
		return errors.New("must not contain NUL")
	}
	p := filepath.Clean(dir)
	for {
		fi, err := os.Stat(p)
		switch {
		case err == nil && fi.IsDir():
			return nil
		case err == nil && p == filepath.Clean(dir):
			return errors.New("exists and is not a directory")
		case err == nil:
			return fmt.Errorf("cannot be created: %s is not a directory", p)
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("cannot be created: %v", err)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return errors.New("cannot be created: no existing parent directory")
		}
		p = parent
	}
}
