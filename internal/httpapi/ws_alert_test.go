package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

	"hasse/internal/hub"
	"hasse/internal/pipenet"
	"hasse/internal/stats"
	"hasse/internal/writer"
)

type discardOutput struct{}

func (discardOutput) Write(p []byte) (int, error)      { return len(p), nil }
func (discardOutput) Flush() error                     { return nil }
func (discardOutput) SetWriteDeadline(time.Time) error { return nil }

// TestAlertTransitionsReachWebSocketSubscriber: a surge of 6 connections against a limit of 10
// crosses connections_pct>50 (for 30s); a subscriber of the statistics WebSocket receives pending
// at the first sample, firing 30 s later and resolved at the first sample after the surge.
func TestAlertTransitionsReachWebSocketSubscriber(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := slog.New(slog.DiscardHandler)
		m := new(stats.Meter)
		var c *stats.Collector
		h, err := hub.New(hub.Config{Meter: m, MaxClients: 10, MaxClientsPerUser: 10, OnClose: func(cl *hub.Client) { c.Unregistered(cl) }}, log)
		if err != nil {
			t.Fatal(err)
		}
		rule := stats.Rule{Name: "surge", Metric: "connections_pct", Threshold: 50, For: stats.Duration(30 * time.Second)}
		c, err = stats.New(stats.Config{Interval: 10 * time.Second, MaxClients: 10, Rules: []stats.Rule{rule}}, h, m, log)
		if err != nil {
			t.Fatal(err)
		}
		srv, err := New(Config{Auth: AuthNone, Stats: c}, h, nil, func() LinkStatus { return LinkStatus{Connected: true} }, log)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { _ = h.Run(ctx) })
		wg.Go(func() { _ = c.Run(ctx) })
		ln := pipenet.Listen()
		hs := srv.httpServer(ctx, nil)
		wg.Go(func() { _ = hs.Serve(ln) })
		transport := &http.Transport{DialContext: ln.DialContext}
		start := time.Now()

		conn, _, err := websocket.Dial(ctx, "ws://localhost/api/sse/ws", &websocket.DialOptions{HTTPClient: &http.Client{Transport: transport}})
		if err != nil {
			t.Fatal(err)
		}
		messages := make(chan map[string]any, 100)
		wg.Go(func() {
			defer close(messages)
			for {
				_, b, err := conn.Read(ctx)
				if err != nil {
					return
				}
				var v map[string]any
				_ = json.Unmarshal(b, &v)
				messages <- v
			}
		})
		if got := <-messages; got["type"] != "auth_ok" {
			t.Fatalf("first message %v, want auth_ok", got)
		}
		if err := conn.Write(ctx, websocket.MessageText, []byte(`{"id":9,"type":"subscribe_sse_stats","interval":"1h"}`)); err != nil {
			t.Fatal(err)
		}
		if got := <-messages; got["success"] != true {
			t.Fatalf("subscribe: %v", got)
		}

		var leave []context.CancelFunc
		for i := range 6 { // the surge
			cl, err := h.Subscribe(ctx, hub.Subscription{ID: fmt.Sprint("conn_", i), User: "u"})
			if err != nil {
				t.Fatal(err)
			}
			sctx, l := context.WithCancel(ctx)
			leave = append(leave, l)
			wg.Go(func() { _ = writer.Stream(sctx, cl, discardOutput{}); cl.Close() })
		}
		time.Sleep(65 * time.Second)
		for _, l := range leave[:3] {
			l()
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()

		type step struct {
			ID       float64
			From, To string
			After    time.Duration
		}
		var got []step
		for len(messages) > 0 {
			msg := <-messages
			if msg["type"] != "sse_alert" {
				t.Errorf("unexpected push %v", msg)
				continue
			}
			tr := msg["data"].(map[string]any)
			at, _ := time.Parse(time.RFC3339Nano, tr["at"].(string))
			got = append(got, step{msg["id"].(float64), tr["from"].(string), tr["state"].(string), at.Sub(start)})
		}
		want := []step{
			{9, "inactive", "pending", 10 * time.Second},
			{9, "pending", "firing", 40 * time.Second},
			{9, "firing", "resolved", 70 * time.Second},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("transitions pushed diff (-want +got):\n%s", diff)
		}

		conn.Close(websocket.StatusNormalClosure, "")
		_ = hs.Close()
		transport.CloseIdleConnections()
		cancel()
		for _, l := range leave {
			l()
		}
		wg.Wait()
	})
}
