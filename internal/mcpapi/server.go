package mcpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"hasse/internal/auth"
	"hasse/internal/hub"
	"hasse/internal/stats"
)

// Config tunes a Server. Zero fields take the defaults shown.
type Config struct {
	Version      string        // the server version reported to clients; default "dev"
	MaxBodyBytes int64         // largest request body; default 64 KiB
	AnswerBytes  int64         // what the events and states of one request's answers may hold, a batch's together; default 1 MiB
	Registry     func() string // why area and label filters cannot work now, "" when they can; nil: they always can
}

// Server is the MCP server. Create it with [New]; it serves HTTP requests whose context
// carries a user ([WithUser]). Its methods are safe for concurrent use.
type Server struct {
	cfg   Config
	hub   *hub.Hub
	stats *stats.Collector // nil: no statistics tools
	http  http.Handler
}

// New returns a Server whose tools read h and, unless st is nil, the statistics st keeps.
func New(cfg Config, h *hub.Hub, st *stats.Collector, log *slog.Logger) *Server {
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 64 << 10
	}
	if cfg.AnswerBytes == 0 {
		cfg.AnswerBytes = 1 << 20
	}
	s := &Server{cfg: cfg, hub: h, stats: st}
	quiet := sdkLog(log)
	srv := mcp.NewServer(&mcp.Implementation{Name: "hasse", Title: "hasse, a Home Assistant event gateway", Version: cfg.Version},
		&mcp.ServerOptions{Logger: quiet, Instructions: instructions})
	srv.AddReceivingMiddleware(recoverPanics(log))
	if st != nil {
		s.addStatsTools(srv)
	}
	s.addEventTools(srv)
	s.addStateTool(srv)
	s.http = mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, &mcp.StreamableHTTPOptions{
		Stateless:           true, // each request stands alone: authenticated afresh, nothing to expire
		JSONResponse:        true, // every tool answers at once; nothing to stream
		Logger:              quiet,
		MaxRequestBodyBytes: cfg.MaxBodyBytes,
		// Every request carries a token (or, under auth none, every route is open alike), and a
		// reverse proxy on the same host sends its own Host: the SDK's check for DNS rebinding
		// would refuse the proxy and protect nothing the token does not.
		DisableLocalhostProtection: true,
	})
	return s
}

const instructions = `hasse is a gateway in front of a Home Assistant home. ` +
	`get_entity_state reads an entity's current state; get_recent_events reads the newest events ` +
	`(state changes, service calls, automations, scripts) with the filters of hasse's SSE endpoint. ` +
	`The get_sse_* and list_sse_connections tools show the gateway's SSE clients and load; they are ` +
	`for administrators.`

// ServeHTTP serves one MCP request (POST) acting as the user of its context; a request without
// one is served, but every tool refuses it. The events and states its answers hold, all the
// messages of a batch together, are at most Config.AnswerBytes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.http.ServeHTTP(w, r.WithContext(withBudget(r.Context(), s.cfg.AnswerBytes)))
}

type userKey struct{}

// WithUser returns a copy of ctx that carries u, the user a request authenticated as. In
// stateless mode the SDK runs each request's tool calls under that request's context.
func WithUser(ctx context.Context, u auth.User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

var errNoUser = errors.New("the request was not authenticated")

func userOf(ctx context.Context) (auth.User, error) {
	u, ok := ctx.Value(userKey{}).(auth.User)
	if !ok {
		return auth.User{}, errNoUser
	}
	return u, nil
}

// recoverPanics answers a request whose handling panics with a JSON-RPC internal error, and
// logs the panic: nothing a client sends may take the process down. The SDK runs each request on
// a goroutine of its own, out of reach of the HTTP server's recovery.
func recoverPanics(log *slog.Logger) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (res mcp.Result, err error) {
			defer func() {
				if v := recover(); v != nil {
					log.LogAttrs(ctx, slog.LevelError, "mcp handler panic", slog.String("method", method),
						slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
					res, err = nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "internal error"}
				}
			}()
			return next(ctx, method, req)
		}
	}
}

// readOnly marks a tool that changes nothing.
var readOnly = &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: new(false)}
