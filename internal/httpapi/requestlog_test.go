package httpapi

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"hasse/internal/hub"
)

// lockedBuffer is a log destination safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestRequestLogRedactsTokens(t *testing.T) {
	var out lockedBuffer
	log := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, _ := hub.New(hub.Config{}, log)
	srv, err := New(Config{Auth: AuthNone}, h, nil, func() LinkStatus { return LinkStatus{Connected: true} }, log)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	for _, target := range []string{
		"/health?token=s3cret-a&x=1", "/nowhere?auth=s3cret-b", "/health?access_token=s3cret-c&token=s3cret-d",
	} {
		req, _ := http.NewRequest("GET", ts.URL+target, nil)
		req.Header.Set("Authorization", "Bearer s3cret-e")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	logged := out.String()
	if strings.Contains(logged, "s3cret") {
		t.Errorf("a token reached the log:\n%s", logged)
	}
	for _, want := range []string{"path=/health", "status=404", "token=%5Bredacted%5D", "x=1"} {
		if !strings.Contains(logged, want) {
			t.Errorf("request log lacks %q:\n%s", want, logged)
		}
	}
}
