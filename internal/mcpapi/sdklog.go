package mcpapi

import (
	"context"
	"log/slog"
)

// sdkLog returns the logger the MCP SDK is given: log, with the SDK's Info records lowered to
// Debug. The SDK logs every session at Info, and in stateless mode every request is a session.
func sdkLog(log *slog.Logger) *slog.Logger { return slog.New(quieter{log.Handler()}) }

// quieter is a slog.Handler that lowers Info records to Debug.
type quieter struct{ slog.Handler }

func lower(l slog.Level) slog.Level {
	if l == slog.LevelInfo {
		return slog.LevelDebug
	}
	return l
}

func (q quieter) Enabled(ctx context.Context, l slog.Level) bool {
	return q.Handler.Enabled(ctx, lower(l))
}

func (q quieter) Handle(ctx context.Context, r slog.Record) error {
	r.Level = lower(r.Level)
	return q.Handler.Handle(ctx, r)
}

func (q quieter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quieter{q.Handler.WithAttrs(attrs)}
}

func (q quieter) WithGroup(name string) slog.Handler { return quieter{q.Handler.WithGroup(name)} }
