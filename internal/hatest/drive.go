package hatest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"

	"go.yaml.in/yaml/v3"
)

// State is a state object as Home Assistant's REST API returns it.
type State struct {
	EntityID    string          `json:"entity_id"`
	State       string          `json:"state"`
	Attributes  map[string]any  `json:"attributes"`
	LastChanged string          `json:"last_changed"`
	LastUpdated string          `json:"last_updated"`
	Context     json.RawMessage `json:"context"`
}

// States is GET /api/states as the owner, sorted by entity id.
func (h *Home) States(ctx context.Context) ([]State, error) {
	var states []State
	if err := h.admin(ctx, "GET", "/api/states", nil, &states); err != nil {
		return nil, err
	}
	sort.Slice(states, func(i, j int) bool { return states[i].EntityID < states[j].EntityID })
	return states, nil
}

// CallService is POST /api/services/<domain>/<service> as the owner.
func (h *Home) CallService(ctx context.Context, domain, service string, data map[string]any) error {
	if data == nil {
		data = map[string]any{}
	}
	return h.admin(ctx, "POST", "/api/services/"+domain+"/"+service, data, nil)
}

// SetState is POST /api/states/<entity_id> as the owner: it makes or overwrites a state that no
// integration owns.
func (h *Home) SetState(ctx context.Context, entityID, state string, attributes map[string]any) error {
	return h.admin(ctx, "POST", "/api/states/"+entityID, map[string]any{"state": state, "attributes": attributes}, nil)
}

// RemoveState is DELETE /api/states/<entity_id> as the owner.
func (h *Home) RemoveState(ctx context.Context, entityID string) error {
	return h.admin(ctx, "DELETE", "/api/states/"+entityID, nil, nil)
}

// FireEvent is POST /api/events/<type> as the owner.
func (h *Home) FireEvent(ctx context.Context, eventType string, data map[string]any) error {
	if data == nil {
		data = map[string]any{}
	}
	return h.admin(ctx, "POST", "/api/events/"+eventType, data, nil)
}

// BannedIPs lists the addresses in ip_bans.yaml (none when the file does not exist).
func (h *Home) BannedIPs() ([]string, error) {
	b, err := os.ReadFile(filepath.Join(h.Dir, "ip_bans.yaml"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var bans map[string]any
	if err := yaml.Unmarshal(b, &bans); err != nil {
		return nil, err
	}
	ips := make([]string, 0, len(bans))
	for ip := range bans {
		ips = append(ips, ip)
	}
	sort.Strings(ips)
	return ips, nil
}

// Notification is one persistent notification.
type Notification struct {
	NotificationID string `json:"notification_id"`
	Title          string `json:"title"`
	Message        string `json:"message"`
}

// Notifications are the persistent notifications Home Assistant shows its owner now.
func (h *Home) Notifications(ctx context.Context) ([]Notification, error) {
	var ns []Notification
	err := h.Command(ctx, h.Owner.Token, map[string]any{"type": "persistent_notification/get"}, &ns)
	return ns, err
}
