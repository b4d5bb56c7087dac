package halink

import (
	"net/http"
	"testing"

	"hasse/internal/hass"
	"hasse/internal/pipenet"
	"hasse/internal/simulator"
	"hasse/internal/simulator/simtest"
)

// startBubbleHA runs, inside the caller's synctest bubble, a simulator of cfg (token "t", no
// activity of its own unless cfg says otherwise) served over in-memory connections, and a
// Client connected to it; everything stops when the test ends. It returns the simulator, the
// client and the events the client publishes.
func startBubbleHA(t *testing.T, cfg simulator.Config) (*simulator.Simulator, *Client, <-chan *hass.Event) {
	t.Helper()
	if cfg.Token == "" {
		cfg.Token = "t"
	}
	if cfg.Rate == 0 {
		cfg.Rate = -1
	}
	ln := pipenet.Listen()
	sim := simtest.Serve(t, cfg, ln)

	c, err := New(Config{URL: "http://ha.test:8123", Token: cfg.Token}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{DialContext: ln.DialContext}
	c.http = &http.Client{Transport: tr}
	t.Cleanup(tr.CloseIdleConnections) // after Run has returned, before the simulator stops
	return sim, c, runClient(t, c)
}
