package tail

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"hasse/internal/format"
)

// Printer writes what [Run] reads, one line per message, as pretty text or JSON lines.
//
// Pretty: events go to Out, one compact line each (time, type, entity, old → new state);
// control events (connected, error, gap, disconnect, snapshot_complete) and Run's notices go
// to Err, gaps loudly. JSON: every message but keep-alives goes to Out as one JSON object per
// line; Err gets Run's notices and a loud copy of every gap.
//
// A Printer is used by one goroutine. Out and Err are required; other zero fields take the
// defaults shown.
type Printer struct {
	Out, Err io.Writer
	// JSON selects JSON lines on Out instead of pretty text.
	JSON bool
	// OutColor and ErrColor turn on ANSI colours on Out and Err.
	OutColor, ErrColor bool
	// Location is the time zone of the times shown; default UTC.
	Location *time.Location
	// Now stamps lines of messages that carry no time; default time.Now.
	Now func() time.Time
}

// Message prints m and reports whether it was an event of the home (not a control event),
// which is what Count counts.
func (p *Printer) Message(m Message) (event bool, err error) {
	v := decode(m)
	if v.kind == "ping" {
		return false, nil
	}
	event = !controlKinds[v.kind]
	if p.JSON {
		if _, err := p.Out.Write(jsonPrintable(jsonLine(m))); err != nil {
			return event, err
		}
		if v.kind == "gap" {
			_, err = io.WriteString(p.Err, p.gapLine(v, style(p.ErrColor)))
		}
		return event, err
	}
	if event {
		_, err = io.WriteString(p.Out, p.eventLine(v, style(p.OutColor)))
	} else {
		_, err = io.WriteString(p.Err, p.controlLine(v, style(p.ErrColor)))
	}
	return event, err
}

// Notice prints one of Run's own remarks (waiting to reconnect, and why) on Err.
func (p *Printer) Notice(text string) {
	s := style(p.ErrColor)
	_, _ = io.WriteString(p.Err, p.stamp(time.Time{}, s)+"  "+s.col(yellow, "tail", typeWidth)+"  "+printable(text)+"\n")
}

// typeWidth and entityWidth are the widths of a pretty line's columns; longer values push the
// rest of their line right.
const typeWidth, entityWidth = 20, 30

// eventLine is an event's pretty line: time, type, entity, and what happened.
func (p *Printer) eventLine(v view, s style) string {
	var b strings.Builder
	b.WriteString(p.stamp(v.time, s))
	b.WriteString("  ")
	b.WriteString(s.col(typeColors[v.kind], v.label, typeWidth))
	b.WriteString("  ")
	b.WriteString(s.col(bold, v.entity, entityWidth))
	switch v.kind {
	case "state_changed":
		b.WriteString("  ")
		b.WriteString(stateChange(v, s))
	case "state":
		b.WriteString("  " + s.paint(dim, "=") + " " + s.paint(green, stateText(v.new, "(none)")+unit(v.unit)))
	}
	if v.detail != "" {
		b.WriteString("  " + v.detail)
	}
	if v.resync {
		b.WriteString("  " + s.paint(yellow, "[resync]"))
	}
	return strings.TrimRight(b.String(), " ") + "\n"
}

// stateChange shows a state_changed as "old → new", "(new) → on", "on → (removed)", or
// "on (attributes)" when only attributes changed.
func stateChange(v view, s style) string {
	switch {
	case v.new == nil:
		return s.paint(dim, stateText(v.old, "?")+" →") + " " + s.paint(red, "(removed)")
	case v.old != nil && *v.old == *v.new:
		return s.paint(green, *v.new+unit(v.unit)) + " " + s.paint(dim, "(attributes)")
	default:
		return s.paint(dim, stateText(v.old, "(new)")+" →") + " " + s.paint(boldGreen, *v.new+unit(v.unit))
	}
}

// controlLine is a control event's pretty line.
func (p *Printer) controlLine(v view, s style) string {
	head := func(label, color string) string {
		return p.stamp(v.time, s) + "  " + s.col(color, label, typeWidth) + "  "
	}
	switch v.kind {
	case "gap":
		return p.gapLine(v, s)
	case "connection":
		line := head("connected", green) + "client " + v.client
		if v.resumed {
			line += ", resumed: nothing missed"
		}
		if len(v.ignored) > 0 {
			line += "  " + s.paint(yellow, "ignored parameters: "+strings.Join(v.ignored, ", "))
		}
		return line + "\n"
	case "error":
		return head("error", boldRed) + s.paint(red, v.code+": "+v.message) + "\n"
	case "disconnect":
		return head("disconnect", yellow) + "the gateway ends the stream (" + v.code + ")\n"
	case "snapshot_complete":
		return head("snapshot", dim) + fmt.Sprintf("%d states; live events follow\n", v.count)
	}
	return head(v.label, "") + v.detail + "\n"
}

// gapLine is a gap's loud line: events may be missing here.
func (p *Printer) gapLine(v view, s style) string {
	since := "the start"
	if v.since != "" {
		since = v.since
	}
	why := gapReasons[format.Gap(v.code)]
	if why == "" {
		why = "the gateway cannot replay what was missed"
	}
	text := fmt.Sprintf("events after %s may be missing: %s (%s)", since, why, v.code)
	label := "*** GAP ***" // loud without colour too
	if s {
		label = " GAP "
	}
	return p.stamp(v.time, s) + "  " + s.col(banner, label, typeWidth) + "  " + s.paint(boldRed, text) + "\n"
}

// gapReasons explain SPEC.md §4.4's gap reasons.
var gapReasons = map[format.Gap]string{
	format.GapHAReconnected:        "Home Assistant was out of reach; resync states follow",
	format.GapReplayWindowExceeded: "the gateway no longer holds them",
	format.GapUnknownEventID:       "the gateway does not know the last event id",
	format.GapEpochChanged:         "the gateway restarted and its history is gone",
	format.GapLeaderFailover:       "another gateway instance took over",
}

// stamp is the time column: t, or now when t is zero.
func (p *Printer) stamp(t time.Time, s style) string {
	if t.IsZero() {
		t = time.Now()
		if p.Now != nil {
			t = p.Now()
		}
	}
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	return s.paint(dim, t.In(loc).Format("15:04:05.000"))
}

// jsonLine is m as one JSON object and a newline: its data, compacted, when that is an object
// (named messages get their SSE event name and id as "event" and "id" first), otherwise
// {"event","id","data":<the data as a string>}.
func jsonLine(m Message) []byte {
	var obj bytes.Buffer
	data := bytes.TrimSpace([]byte(m.Data))
	if len(data) == 0 || data[0] != '{' || json.Compact(&obj, data) != nil {
		b, _ := json.Marshal(struct {
			Event string `json:"event,omitempty"`
			ID    string `json:"id,omitempty"`
			Data  string `json:"data"`
		}{m.Event, idOf(m), m.Data})
		return append(b, '\n')
	}
	if m.Event == "" {
		return append(obj.Bytes(), '\n')
	}
	head, _ := json.Marshal(m.Event)
	line := append([]byte(`{"event":`), head...)
	if id := idOf(m); id != "" {
		idJSON, _ := json.Marshal(id)
		line = append(append(line, `,"id":`...), idJSON...)
	}
	if rest := obj.Bytes()[1:]; rest[0] != '}' {
		line = append(line, ',')
		line = append(line, rest...)
	} else {
		line = append(line, '}')
	}
	return append(line, '\n')
}

// idOf is m's own event id, if it had one.
func idOf(m Message) string {
	if m.HasID {
		return m.LastEventID
	}
	return ""
}

func stateText(s *string, none string) string {
	if s == nil {
		return none
	}
	return *s
}

func unit(u string) string {
	if u == "" {
		return ""
	}
	return " " + u
}

// pad is width-len(s) spaces, or none when s is as wide.
func pad(s string, width int) string {
	return strings.Repeat(" ", max(width-utf8.RuneCountInString(s), 0))
}
