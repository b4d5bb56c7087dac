package dashboard

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func serve(h http.Handler, method, path string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestServesPageAndAssets(t *testing.T) {
	h := New()
	for _, tc := range []struct {
		path, contentType, body string
	}{
		{"/", "text/html; charset=utf-8", "<title>hasse dashboard</title>"},
		{"/dashboard/app.js", "text/javascript; charset=utf-8", "new StatsSocket("},
		{"/dashboard/app.css", "text/css; charset=utf-8", ".conns"},
		{"/dashboard/icon.svg", "image/svg+xml", "<svg"},
		{"/dashboard/vendor/uplot/uPlot.iife.min.js", "text/javascript; charset=utf-8", "(v1.6.32)"},
		{"/dashboard/vendor/uplot/uPlot.min.css", "text/css; charset=utf-8", ".uplot"},
		{"/dashboard/vendor/uplot/LICENSE", "text/plain; charset=utf-8", "MIT"},
	} {
		rec := serve(h, http.MethodGet, tc.path, nil)
		hd := rec.Result().Header
		if rec.Code != http.StatusOK || hd.Get("Content-Type") != tc.contentType || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("GET %s: %d %q, body with %q: %v; want 200 %q", tc.path, rec.Code, hd.Get("Content-Type"), tc.body,
				strings.Contains(rec.Body.String(), tc.body), tc.contentType)
		}
		if hd.Get("Cache-Control") != "no-cache" || hd.Get("ETag") == "" || hd.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: Cache-Control %q, ETag %q, X-Content-Type-Options %q; want no-cache, an ETag, nosniff",
				tc.path, hd.Get("Cache-Control"), hd.Get("ETag"), hd.Get("X-Content-Type-Options"))
		}
		if csp := hd.Get("Content-Security-Policy"); (tc.path == "/") != strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q; want one that allows only the page's own scripts on the page", tc.path, csp)
		}
	}
}

func TestRevalidatesWithETag(t *testing.T) {
	h := New()
	first := serve(h, http.MethodGet, "/dashboard/app.js", nil)
	etag := first.Result().Header.Get("ETag")
	if again := serve(h, http.MethodGet, "/dashboard/app.js", http.Header{"If-None-Match": {etag}}); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("GET with If-None-Match %s: %d with %d bytes, want 304 and no body", etag, again.Code, again.Body.Len())
	}
	if other := serve(h, http.MethodGet, "/dashboard/app.css", nil).Result().Header.Get("ETag"); other == etag {
		t.Errorf("app.js and app.css share the ETag %s", etag)
	}
}

func TestHeadHasNoBody(t *testing.T) {
	h := New()
	get, head := serve(h, http.MethodGet, "/", nil), serve(h, http.MethodHead, "/", nil)
	if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Result().Header.Get("Content-Length") != get.Result().Header.Get("Content-Length") {
		t.Errorf("HEAD /: %d, %d bytes, Content-Length %q; want 200, no body, Content-Length %q as GET",
			head.Code, head.Body.Len(), head.Result().Header.Get("Content-Length"), get.Result().Header.Get("Content-Length"))
	}
}

// jsonError decodes SPEC.md §8's error shape.
func jsonError(t *testing.T, rec *httptest.ResponseRecorder) (code string) {
	t.Helper()
	var body struct {
		Success   *bool  `json:"success"`
		Message   string `json:"message"`
		ErrorCode string `json:"error_code"`
	}
	if ct := rec.Result().Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("error Content-Type %q, want JSON", ct)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Success == nil || *body.Success || body.Message == "" {
		t.Errorf("error body %q (%v): want {success:false, message, error_code}", rec.Body, err)
	}
	return body.ErrorCode
}

func TestUnknownPathsAreJSON404(t *testing.T) {
	h := New()
	for _, path := range []string{"/nope", "/dashboard/", "/dashboard/nope.js", "/dashboard/index.html", "/dashboard/vendor/", "/dashboardx/app.js", "/app.js"} {
		rec := serve(h, http.MethodGet, path, nil)
		if code := jsonError(t, rec); rec.Code != http.StatusNotFound || code != "NOT_FOUND" {
			t.Errorf("GET %s: %d %s, want 404 NOT_FOUND", path, rec.Code, code)
		}
	}
}

func TestOnlyGetAndHead(t *testing.T) {
	h := New()
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		for _, path := range []string{"/", "/dashboard/app.js"} {
			rec := serve(h, method, path, nil)
			if code := jsonError(t, rec); rec.Code != http.StatusMethodNotAllowed || code != "METHOD_NOT_ALLOWED" || rec.Result().Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s: %d %s, Allow %q; want 405 METHOD_NOT_ALLOWED, Allow GET, HEAD", method, path, rec.Code, code, rec.Result().Header.Get("Allow"))
			}
		}
	}
}

// Every script, style sheet and module the page names is served, and none comes from elsewhere.
func TestPageReferencesResolve(t *testing.T) {
	h := New()
	page := serve(h, http.MethodGet, "/", nil).Body.String()
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(page, -1)
	imports := regexp.MustCompile(`from '\./([^']+)'`)
	seen := map[string]bool{}
	for len(refs) > 0 {
		ref := refs[0][1]
		refs = refs[1:]
		if !strings.HasPrefix(ref, "dashboard/") {
			t.Errorf("the page loads %q: want a relative dashboard/ asset (no CDN, and the page may sit under a path prefix)", ref)
			continue
		}
		if seen[ref] {
			continue
		}
		seen[ref] = true
		rec := serve(h, http.MethodGet, "/"+ref, nil)
		if rec.Code != http.StatusOK {
			t.Errorf("the page loads %s: %d", ref, rec.Code)
		}
		if strings.HasSuffix(ref, ".js") { // a module's own imports, relative to it
			for _, m := range imports.FindAllStringSubmatch(rec.Body.String(), -1) {
				refs = append(refs, []string{"", ref[:strings.LastIndex(ref, "/")+1] + m[1]})
			}
		}
	}
	if !seen["dashboard/feed.js"] {
		t.Errorf("the module imports were not followed: saw %v", seen)
	}
}
