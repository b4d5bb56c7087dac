package httpapi

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"hasse/internal/stats"
)

// TestUnreadAnswersAreGivenUp asks for an answer and never reads it: once ResponseTimeout has
// passed the server has given the answer up and closed the connection, where it used to wait
// for as long as the connection lived. A stream opened at the same time goes on past that
// timeout, and so does the keep-alive connection that carried a read answer before it.
func TestUnreadAnswersAreGivenUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env := newPipeStatsEnv(t, Config{Auth: AuthNone, ResponseTimeout: 30 * time.Second}, stats.Config{})
		dial := env.client.Transport.(*http.Transport).DialContext
		ctx := t.Context()
		var wg sync.WaitGroup
		defer wg.Wait()

		// A keep-alive connection: one answer read in full, then a stream on the same connection.
		stream, err := dial(ctx, "tcp", "")
		if err != nil {
			t.Fatal(err)
		}
		defer stream.Close()
		br := bufio.NewReader(stream)
		if _, err := io.WriteString(stream, "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if _, err := io.WriteString(stream, "GET /subscribe_events?domain=light HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		if resp, err = http.ReadResponse(br, nil); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("stream: %v, %v", resp, err)
		}
		lines := make(chan string, 100)
		wg.Go(func() {
			defer close(lines)
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				lines <- sc.Text()
			}
		})

		unread, err := dial(ctx, "tcp", "")
		if err != nil {
			t.Fatal(err)
		}
		defer unread.Close()
		if _, err := io.WriteString(unread, "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(31 * time.Second)
		synctest.Wait()

		// Over a pipe the server's write waits for this read: a server still holding its answer
		// hands it over now; one that gave it up has closed the connection.
		n, err := unread.Read(make([]byte, 64))
		if err == nil {
			t.Fatalf("31 s after asking, the answer was still waiting to be read (%d bytes); want it given up", n)
		}

		env.hub.Publish(stateEvent("light.kitchen", "on"))
		for line := range lines {
			if strings.Contains(line, `"light.kitchen"`) {
				return
			}
		}
		t.Fatal("the stream ended before the event published 31 s after it opened")
	})
}
