package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// ActiveFileName is the file in the state directory that names the active
// store, so a restart finds it again.
const ActiveFileName = "database.json"

// activeFile is ActiveFileName's content (format 1). The password is there
// only when the operator set store.remember_password; otherwise a restart
// connects with no password from ipamd, which works with a server that
// needs none for the user (trust, cert) or with
// store.postgres.environment_credentials (the driver then reads ~/.pgpass
// or PGPASSFILE) — the operator's choice between a secret at rest in the
// state directory and one more file to manage. The record is checked
// against the policy again at start-up (Policy.Allows).
type activeFile struct {
	Format   int                   `json:"format"`
	Type     ipam.IpamDatabaseType `json:"databaseType"`
	Path     string                `json:"databasePath,omitempty"`
	Host     string                `json:"databaseServerNameOrIP,omitempty"`
	Port     int                   `json:"databasePort,omitempty"`
	Name     string                `json:"databaseName,omitempty"`
	User     string                `json:"userName,omitempty"`
	Password string                `json:"password,omitempty"`
}

// LoadActive reads the active store's configuration from stateDir. ok is
// false when none was saved yet.
func LoadActive(stateDir string) (c Config, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(stateDir, ActiveFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return Config{}, false, nil
	}
	if err != nil {
		return Config{}, false, fmt.Errorf("store: read active configuration: %w", err)
	}
	var f activeFile
	if err := json.Unmarshal(b, &f); err != nil {
		return Config{}, false, fmt.Errorf("store: %s: %w", filepath.Join(stateDir, ActiveFileName), err)
	}
	if f.Format != 1 {
		return Config{}, false, fmt.Errorf("store: %s: unknown format %d", filepath.Join(stateDir, ActiveFileName), f.Format)
	}
	switch f.Type {
	case ipam.IpamDatabaseTypeWindowsInternalDatabase:
		if !filepath.IsAbs(f.Path) {
			return Config{}, false, fmt.Errorf("store: %s: databasePath must be absolute", filepath.Join(stateDir, ActiveFileName))
		}
	case ipam.IpamDatabaseTypeMSSQLServer:
		if f.Host == "" || f.Name == "" || f.Port <= 0 || f.Port > 65535 {
			return Config{}, false, fmt.Errorf("store: %s: incomplete PostgreSQL location", filepath.Join(stateDir, ActiveFileName))
		}
	default:
		return Config{}, false, fmt.Errorf("store: %s: unknown databaseType %q", filepath.Join(stateDir, ActiveFileName), f.Type)
	}
	return Config{Type: f.Type, Path: f.Path, Host: f.Host, Port: f.Port, Name: f.Name, User: f.User, Password: f.Password}, true, nil
}

// SaveActive records c as the active store in stateDir, atomically (a
// temporary file, fsync, rename, fsync of the directory) with mode 0600.
// The password is written only if rememberPassword.
func SaveActive(stateDir string, c Config, rememberPassword bool) error {
	f := activeFile{Format: 1, Type: c.Type, Path: c.Path, Host: c.Host, Port: c.Port, Name: c.Name, User: c.User}
	if rememberPassword {
		f.Password = c.Password
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("store: encode active configuration: %w", err)
	}
	return writeFileAtomic(filepath.Join(stateDir, ActiveFileName), append(b, '\n'))
}

// removeActive forgets the active store (used to undo a SaveActive whose
// provisioning did not commit).
func removeActive(stateDir string) error {
	err := os.Remove(filepath.Join(stateDir, ActiveFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("store: write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("store: write %s: %w", path, err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("store: write %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("store: write %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("store: write %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("store: write %s: %w", path, err)
	}
	// Make the rename durable; directories cannot be opened for sync on
	// Windows, where the rename is already durable enough for this file.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
