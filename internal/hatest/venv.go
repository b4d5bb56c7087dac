package hatest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Version is the Home Assistant release the venv holds.
const Version = "2024.3.3"

// VenvDir is where scripts/install-ha.sh puts the venv: HASSE_HA_VENV, else
// ${XDG_CACHE_HOME:-$HOME/.cache}/hasse/ha-2024.3.3.
func VenvDir() string {
	if dir := os.Getenv("HASSE_HA_VENV"); dir != "" {
		return dir
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "hasse", "ha-"+Version)
}

// CheckVenv tells whether the venv at dir is installed from the lock at lockPath (its stamp is
// the lock's SHA-256), with a message that says what to run when it is not.
func CheckVenv(dir, lockPath string) error {
	lock, err := os.ReadFile(lockPath)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(lock)
	stamp, err := os.ReadFile(filepath.Join(dir, ".hasse-lock.sha256"))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("no Home Assistant venv at %s: run scripts/install-ha.sh (make deps)", dir)
	case err != nil:
		return err
	case strings.TrimSpace(string(stamp)) != hex.EncodeToString(sum[:]):
		return fmt.Errorf("the Home Assistant venv at %s is not from %s: run scripts/install-ha.sh (make deps)", dir, lockPath)
	}
	if _, err := os.Stat(filepath.Join(dir, "bin", "hass")); err != nil {
		return fmt.Errorf("the Home Assistant venv at %s has no bin/hass: run scripts/install-ha.sh (make deps)", dir)
	}
	return nil
}
