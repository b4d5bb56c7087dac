package main

import (
	"os"
	"testing"
	"time"
)

func TestStatCPU(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     time.Duration
		bad      bool
	}{
		{"plain", "1234 (hasse) S 1 1234 1234 0 -1 4194560 900 0 0 0 250 75 0 0 20 0 9 0 100 0 0", 3250 * time.Millisecond, false},
		{"name with spaces and parentheses", "7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5", 30 * time.Millisecond, false},
		{"short", "7 (x) R 1 2 3", 0, true},
		{"no name", "7 x R", 0, true},
		{"not a number", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 u 2 0", 0, true},
	} {
		got, err := statCPU([]byte(tc.in))
		if got != tc.want || (err != nil) != tc.bad {
			t.Errorf("%s: statCPU(%q) = %v, %v; want %v, error %v", tc.name, tc.in, got, err, tc.want, tc.bad)
		}
	}
}

func TestStatusKB(t *testing.T) {
	status := "Name:\thasse\nVmHWM:\t  90112 kB\nVmRSS:\t   88012 kB\nRssAnon:\t 70000 kB\n"
	if got, err := statusKB([]byte(status), "VmRSS"); got != 88012 || err != nil {
		t.Errorf("statusKB(VmRSS) = %d, %v; want 88012", got, err)
	}
	if got, err := statusKB([]byte(status), "VmSwap"); err == nil {
		t.Errorf("statusKB(VmSwap) = %d, no error; want one: the key is missing", got)
	}
}

func TestLimitsOpenFiles(t *testing.T) {
	limits := "Limit                     Soft Limit           Hard Limit           Units     \n" +
		"Max processes             63432                63432                processes \n" +
		"Max open files            20000                40000                files     \n"
	if got, err := limitsOpenFiles([]byte(limits)); got != 20000 || err != nil {
		t.Errorf("limitsOpenFiles = %d, %v; want 20000", got, err)
	}
}

// The probe reads this very process: the parsers agree with the kernel's real files.
func TestProbeSelf(t *testing.T) {
	p := probe{os.Getpid()}
	for selfCPU() < 30*time.Millisecond { // some CPU time: more than a tick of /proc/PID/stat
	}
	if got := p.cpu(); got <= 0 {
		t.Errorf("probe of this process: cpu() = %v, want more than 0", got)
	}
	if got := p.rssKB(); got <= 0 {
		t.Errorf("probe of this process: rssKB() = %d, want more than 0", got)
	}
	if got, want := p.nofile(), int64(raiseNofile()); got != want {
		t.Errorf("probe of this process: nofile() = %d, want %d (raiseNofile)", got, want)
	}
	if got := (probe{}).rssKB(); got != 0 {
		t.Errorf("probe without a pid: rssKB() = %d, want 0", got)
	}
}
