package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// CheckOrigins validates origins for Config.CORSOrigins: "*", or origins as browsers send them,
// scheme://host[:port], nothing more. An origin without a scheme matched no browser's Origin in
// CORS, and in the WebSocket check it let "null" and file:// pages through.
func CheckOrigins(origins []string) error {
	for _, o := range origins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("allowed origin %q: write it as a browser sends it, like https://dash.example or http://localhost:8080", o)
		}
	}
	return nil
}

// guardNone refuses, under auth none, what a page of another site could make a visitor's browser
// do, since no token stands in its way:
//   - a request whose Host names the gateway by a name it does not answer to: a page of
//     evil.example whose name now resolves to 127.0.0.1 (DNS rebinding) sends Host: evil.example.
//     IP addresses, localhost and Config.AllowedHosts pass;
//   - a request from another origin than the gateway's own, unless Config.CORSOrigins lists it
//     (or is "*"): by its Origin header, or, for what browsers send without one (an <img> or a
//     form's GET), by Sec-Fetch-Site. This covers every route, CORS preflights and the WebSocket
//     API too.
//
// Under the other auth modes every route that reads or acts needs a token, which browsers never
// send by themselves, so nothing is refused here.
func (s *Server) guardNone(next http.Handler) http.Handler {
	if s.cfg.Auth != AuthNone {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Host) {
			writeError(w, errorf(http.StatusForbidden, "FORBIDDEN", "the Host header names the gateway by a name it does not answer to: without tokens, only IP addresses, localhost and the configured host names are served"))
			return
		}
		if !s.originAllowed(r) {
			writeError(w, errorf(http.StatusForbidden, "FORBIDDEN", "requests from other origins are refused here"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostAllowed reports whether a request's Host may be served under auth none.
func (s *Server) hostAllowed(hostport string) bool {
	if hostport == "" { // HTTP/1.0 without Host: no browser
		return true
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if _, err := netip.ParseAddr(host); err == nil {
		return true // a page can only name an address by the address: no rebinding
	}
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || slices.Contains(s.cfg.AllowedHosts, host)
}

// originAllowed reports whether a request comes from the gateway's own origin, from no browser
// page at all, or from an origin Config.CORSOrigins lists.
func (s *Server) originAllowed(r *http.Request) bool {
	if slices.Contains(s.cfg.CORSOrigins, "*") {
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		switch r.Header.Get("Sec-Fetch-Site") {
		case "", "same-origin", "none": // not a browser, the gateway's own page, or typed by the user
			return true
		}
		return false
	}
	if u, err := url.Parse(origin); err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return slices.Contains(s.cfg.CORSOrigins, origin)
}
