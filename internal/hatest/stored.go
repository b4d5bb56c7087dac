package hatest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// SetRestoredState changes, while Home Assistant is stopped, the state it will restore for
// entity at its next start (.storage/core.restore_state, written when it stops): a change
// made "while nobody watched", as a restart that brings changed states shows it.
func (h *Home) SetRestoredState(entity, state string) error {
	if h.Running() {
		return errors.New("Home Assistant is running: it would overwrite the file when it stops")
	}
	path := filepath.Join(h.Dir, ".storage", "core.restore_state")
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var file map[string]any
	if err := json.Unmarshal(b, &file); err != nil {
		return err
	}
	entries, _ := file["data"].([]any)
	for _, e := range entries {
		entry, _ := e.(map[string]any)
		st, _ := entry["state"].(map[string]any)
		if st["entity_id"] == entity {
			st["state"] = state
			out, err := json.Marshal(file)
			if err != nil {
				return err
			}
			return os.WriteFile(path, out, 0o644)
		}
	}
	return fmt.Errorf("%s has no restored state in %s", entity, path)
}
