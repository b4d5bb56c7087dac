//go:build realha

package realha

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hasse/internal/hatest"
)

// home is the Home Assistant the tests share (one start for the package); a test that needs a
// home of its own (restarts, thousands of entities) starts one.
var home *hatest.Home

// hasseBin is the `hasse` binary, built once, as a user builds it.
var hasseBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if err := hatest.CheckVenv(hatest.VenvDir(), "../../scripts/homeassistant.lock"); err != nil {
		fmt.Fprintln(os.Stderr, "realha:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "hasse-realha-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "realha:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	hasseBin = filepath.Join(dir, "hasse")
	if out, err := exec.Command("go", "build", "-o", hasseBin, "hasse/cmd/hasse").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "realha: go build: %v\n%s", err, out)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	began := time.Now()
	home, err = hatest.Start(ctx, hatest.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "realha: starting Home Assistant:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "realha: Home Assistant %s RUNNING at %s in %v\n", hatest.Version, home.URL, time.Since(began).Round(time.Millisecond))
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "realha: Home Assistant's log:\n%s", home.LogTail(60))
	}
	home.Close()
	http.DefaultClient.CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "realha: leaked goroutines:", err)
			return 1
		}
	}
	return code
}

// startOwnHome starts a Home Assistant for one test (one that restarts it, bans, or fills it).
func startOwnHome(t *testing.T) *hatest.Home {
	t.Helper()
	began := time.Now()
	h, err := hatest.Start(t.Context(), hatest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("a Home Assistant of its own RUNNING in %v", time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("its log:\n%s", h.LogTail(40))
		}
		h.Close()
	})
	return h
}
