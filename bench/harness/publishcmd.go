package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// publishResult is the JSON result of publish: what the fake Home Assistant sent, with the
// stamp of every event, by which the listeners' tallies know them.
type publishResult struct {
	Cmd           string  `json:"cmd"`
	Harness       string  `json:"harness"`
	Label         string  `json:"label,omitempty"`
	Time          string  `json:"time"`
	Rate          float64 `json:"rate"`
	DurationS     float64 `json:"duration_s"`
	Published     int64   `json:"published"`
	PublishErrors int64   `json:"publish_errors"`
	PublishRate   float64 `json:"publish_rate"`
	PublishP99Ms  float64 `json:"publish_p99_ms"`
	FirstError    string  `json:"first_error,omitempty"`
	Stamps        []int64 `json:"stamps"`
}

// publishCmd runs the fake Home Assistant on its own, for runs whose clients are held by
// other processes (harness listen): it waits for a gateway to subscribe and for -start-file
// to exist, then publishes -rate events a second for -duration, one at a time, and reports
// every event's stamp; with -hold it then serves on until interrupted.
func publishCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rate := fs.Float64("rate", 1, "events published a second, one at a time")
	dur := fs.Duration("duration", 60*time.Second, "publishing time")
	haAddr := fs.String("hass-addr", "127.0.0.1:8123", "the fake Home Assistant's listen address")
	haToken := fs.String("hass-token", "", "the access token the fake Home Assistant accepts (empty: any)")
	haLights := fs.Int("hass-entities", 10, "lights in the fake Home Assistant's home (light.bench_0 …)")
	haWait := fs.Duration("hass-wait", 60*time.Second, "how long to wait for a gateway to subscribe")
	startFile := fs.String("start-file", "", "publish once this file exists (empty: at once)")
	startWait := fs.Duration("start-wait", 10*time.Minute, "how long to wait for -start-file")
	hold := fs.Bool("hold", false, "after the result, keep serving Home Assistant until interrupted, so that no gateway sees it go")
	label := fs.String("label", "", "a label copied into the JSON result")
	out := fs.String("out", "", "also append the JSON result to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rate <= 0 || *dur <= 0 {
		return errors.New("-rate and -duration must be positive")
	}
	var mu sync.Mutex
	var stamps []int64
	ha := newFakeHA(*haToken, *haLights)
	ha.sent = func(stamp int64) {
		mu.Lock()
		stamps = append(stamps, stamp)
		mu.Unlock()
	}
	stop, err := serveFakeHA(ctx, ha, *haAddr, *haWait, stderr)
	if err != nil {
		return err
	}
	defer stop()
	if err := waitFile(ctx, *startFile, *startWait); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "publishing %.4g events/s for %s, one at a time\n", *rate, *dur)
	pd := pace(ctx, ha, *rate, *dur, 1, 0)
	mu.Lock()
	r := publishResult{
		Cmd: "publish", Harness: harnessName, Label: *label, Time: now(), Rate: *rate, DurationS: dur.Seconds(),
		Published: pd.ok, PublishErrors: pd.failed, PublishRate: round(float64(pd.ok+pd.failed)/pd.elapsed.Seconds(), 3),
		PublishP99Ms: ms(pd.calls.quantile(0.99)), FirstError: pd.firstErr, Stamps: append([]int64{}, stamps...),
	}
	mu.Unlock()
	fmt.Fprintf(stdout, "published %d events (%.3g/s, %d errors)\n", r.Published, r.PublishRate, r.PublishErrors)
	if r.FirstError != "" {
		fmt.Fprintf(stdout, "first publish error: %s\n", r.FirstError)
	}
	if err := (&target{out: *out}).emit(stdout, r); err != nil || !*hold {
		return err
	}
	<-ctx.Done()
	return nil
}

// waitFile returns once path exists (at once for ""), or fails after wait or when ctx ends.
func waitFile(ctx context.Context, path string, wait time.Duration) error {
	if path == "" {
		return nil
	}
	end := time.Now().Add(wait)
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		if time.Now().After(end) {
			return fmt.Errorf("%s did not appear within %s", path, wait)
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
}
