package main

import (
	"bytes"
	"context"
	"fmt"
	"hasse/internal/hastamp"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// publisher sends event seq, stamped with the time of sending. The fake Home Assistant is one;
// rawPublisher, for the ceiling, the other.
type publisher interface {
	publish(ctx context.Context, seq int64) error
}

// paced is what pace reports.
type paced struct {
	ok, failed int64
	elapsed    time.Duration // from the first publish due to the last one done
	calls      histogram     // duration of each successful publish call
	firstErr   string
}

// pace publishes rate events a second for dur, numbered from seq0, each due at its own time
// from the start; workers calls run at once, so that one slow call does not hold the others
// back (a server that backs up its publishers shows as a publish rate below the one asked).
// When ctx ends, no more events are due.
func pace(ctx context.Context, pub publisher, rate float64, dur time.Duration, workers int, seq0 int64) *paced {
	p := &paced{}
	var ok, failed atomic.Int64
	var errOnce sync.Once
	due := make(chan int64, 4*max(workers, 1))
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for seq := range due {
				t := time.Now()
				if err := pub.publish(ctx, seq); err != nil {
					failed.Add(1)
					errOnce.Do(func() { p.firstErr = err.Error() })
					continue
				}
				p.calls.record(int64(time.Since(t)))
				ok.Add(1)
			}
		})
	}
	n := int64(math.Round(rate * dur.Seconds()))
	start := time.Now()
	for i := range n {
		wait := time.Until(start.Add(time.Duration(float64(i) * float64(time.Second) / rate)))
		if ctx.Err() != nil || wait > 0 && sleep(ctx, wait) != nil {
			break // stopped: report what was published
		}
		due <- seq0 + i
	}
	close(due)
	wg.Wait()
	p.elapsed = time.Since(start)
	p.ok, p.failed = ok.Load(), failed.Load()
	return p
}

// rawPublisher POSTs a Home Assistant-like state object to a URL: the ceiling's /publish.
type rawPublisher struct {
	url    string
	pad    int
	client *http.Client
}

func newRawPublisher(url string, pad, workers int) *rawPublisher {
	return &rawPublisher{url: url, pad: pad, client: &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: max(workers, 1), DisableCompression: true},
	}}
}

func (p *rawPublisher) publish(ctx context.Context, seq int64) error {
	body := appendRawPayload(nil, seq, time.Now().UnixNano(), p.pad)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("publish: HTTP %d", resp.StatusCode)
	}
	return nil
}

// appendRawPayload renders the new state of a bench light as an older Home Assistant sends it
// (no last_reported), about 330 bytes, with the stamp in its attributes and pad more bytes in an
// attribute of its own.
func appendRawPayload(b []byte, seq, stamp int64, pad int) []byte {
	at := time.Unix(0, stamp)
	b = append(b, `{"entity_id":"light.bench_`...)
	b = strconv.AppendInt(b, seq%10, 10)
	b = append(b, `","state":"on","attributes":{"ts":`...)
	b = strconv.AppendInt(b, stamp, 10)
	b = append(b, `,"brightness":255,"color_mode":"brightness","friendly_name":"Bench `...)
	b = strconv.AppendInt(b, seq%10, 10)
	if pad > 0 {
		b = append(b, `","pad":"`...)
		b = append(b, bytes.Repeat([]byte{'x'}, pad)...)
	}
	b = append(b, `","supported_color_modes":["brightness"]},"last_changed":"`...)
	b = hastamp.AppendTime(b, at)
	b = append(b, `","last_updated":"`...)
	b = hastamp.AppendTime(b, at)
	b = append(b, `","context":`...)
	b = appendContext(b, hastamp.ULID(at, nil))
	return append(b, '}')
}
