package httpapi

import (
	"net/http"
	"time"
)

// limitIP refuses requests from a client IP over its rate limit (SPEC.md §5.4), before anything
// else is done for them. An open stream is one request, counted when it was made.
func (s *Server) limitIP(next http.Handler) http.Handler {
	if s.ipLimit == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, retry := s.ipLimit.Allow(s.clientIP(r), time.Now()); !ok {
			s.rateLimited.Add(1)
			writeError(w, rateLimited(retry))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitPreflights counts CORS preflights against the per-IP limit, as limitIP does every other
// request: the CORS handler answers them before limitIP would see them.
func (s *Server) limitPreflights(next http.Handler) http.Handler {
	if s.ipLimit == nil {
		return next
	}
	limited := s.limitIP(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			limited.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitUser counts a request of an authenticated user against the per-user limit.
func (s *Server) limitUser(user string) error {
	if s.userLimit == nil {
		return nil
	}
	if ok, retry := s.userLimit.Allow(user, time.Now()); !ok {
		s.rateLimited.Add(1)
		return rateLimited(retry)
	}
	return nil
}

// limitMore counts n more requests of the request's client IP and of user against their limits,
// all or none: the other messages of a JSON-RPC batch.
func (s *Server) limitMore(r *http.Request, user string, n int) error {
	now := time.Now()
	if s.ipLimit != nil {
		if ok, retry := s.ipLimit.AllowN(s.clientIP(r), n, now); !ok {
			s.rateLimited.Add(1)
			return rateLimited(retry)
		}
	}
	if s.userLimit != nil {
		if ok, retry := s.userLimit.AllowN(user, n, now); !ok {
			s.rateLimited.Add(1)
			return rateLimited(retry)
		}
	}
	return nil
}

// limitMessage counts a message of a WebSocket opened by r against the limit of r's client IP:
// a socket is no way around the limit every request is under.
func (s *Server) limitMessage(r *http.Request) *apiError {
	if s.ipLimit == nil {
		return nil
	}
	if ok, retry := s.ipLimit.Allow(s.clientIP(r), time.Now()); !ok {
		s.rateLimited.Add(1)
		return rateLimited(retry)
	}
	return nil
}

func rateLimited(retry time.Duration) *apiError {
	return &apiError{http.StatusTooManyRequests, "RATE_LIMITED", "too many requests; try again in " + retry.Round(time.Second).String(), max(retry, time.Second)}
}
