//go:build !windows

package winsvc

import (
	"io"
	"time"
)

// IsService is false off Windows.
func IsService() (bool, error) { return false, nil }

// Run is unavailable off Windows.
func Run(string, bool, time.Duration, Program) error { return ErrUnsupported }

// OpenEventLog is unavailable off Windows.
func OpenEventLog(string, bool) (EventWriter, func() error, error) { return nil, nil, ErrUnsupported }

// Install is unavailable off Windows.
func Install(ServiceConfig, []byte, io.Writer) error { return ErrUnsupported }

// Uninstall is unavailable off Windows.
func Uninstall(string, time.Duration, io.Writer) error { return ErrUnsupported }

// Start is unavailable off Windows.
func Start(string) error { return ErrUnsupported }

// Stop is unavailable off Windows.
func Stop(string, time.Duration) error { return ErrUnsupported }

// Query is unavailable off Windows.
func Query(string) (string, bool, error) { return "", false, ErrUnsupported }
