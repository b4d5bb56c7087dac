package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// Prefix is the path under which the page's assets are served: /dashboard/app.js and so on.
const Prefix = "/dashboard/"

//go:embed static
var static embed.FS

// pageSecurity is the Content-Security-Policy of the page: its own scripts, styles and API, and
// nothing from anywhere else; no other site may frame it.
const pageSecurity = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// file is one embedded file, ready to serve.
type file struct {
	name        string
	body        []byte
	contentType string
	etag        string
}

// Handler serves the dashboard. Create it with [New]; it is safe for concurrent use.
type Handler struct {
	files map[string]*file // by path below static/: "index.html", "app.js", "vendor/uplot/…"
}

// New returns the dashboard's handler. Mount it on "/" exactly and on [Prefix]: it answers "/"
// with the page, paths under Prefix with the embedded assets, anything else with a JSON 404, and
// methods other than GET and HEAD with a JSON 405 (SPEC.md §8).
func New() *Handler {
	h := &Handler{files: map[string]*file{}}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		name := strings.TrimPrefix(p, "static/")
		h.files[name] = &file{
			name:        name,
			body:        body,
			contentType: contentType(name),
			etag:        `"` + hex.EncodeToString(sum[:12]) + `"`,
		}
		return nil
	})
	if err != nil {
		panic("dashboard: reading the embedded files: " + err.Error()) // they are compiled in
	}
	return h
}

// contentType is the type of an embedded file by its extension; the table is fixed so that the
// answer does not depend on the machine's MIME files.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".md":
		return "text/markdown; charset=utf-8"
	}
	return "text/plain; charset=utf-8" // LICENSE
}

// ServeHTTP answers GET and HEAD for the page and its assets. Every answer carries an ETag and
// Cache-Control: no-cache, so a browser keeps its copy and asks again each time (a 304 when
// nothing changed): asset names carry no version, and a new binary must show its own page.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", r.Method+" is not allowed here; use GET, HEAD")
		return
	}
	var f *file
	if r.URL.Path == "/" {
		f = h.files["index.html"]
	} else if name, ok := strings.CutPrefix(r.URL.Path, Prefix); ok && name != "index.html" {
		f = h.files[name]
	}
	if f == nil {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "no such endpoint: "+r.URL.Path)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", f.contentType)
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", f.etag)
	hd.Set("X-Content-Type-Options", "nosniff")
	if f.name == "index.html" {
		hd.Set("Content-Security-Policy", pageSecurity)
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
	}
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.body)) // If-None-Match, HEAD, ranges
}

// writeError writes the error shape of SPEC.md §8.
func writeError(w http.ResponseWriter, status int, code, message string) {
	b, _ := json.Marshal(struct {
		Success   bool   `json:"success"`
		Message   string `json:"message"`
		ErrorCode string `json:"error_code"`
	}{false, message, code})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
