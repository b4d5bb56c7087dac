package stats

import (
	"bytes"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process has used, user and system together.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// memoryBytes returns the process's resident set size from /proc/self/statm or, where there is
// no /proc, the memory the Go runtime holds from the system.
func memoryBytes() uint64 {
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := bytes.Fields(b); len(f) > 1 {
			if pages, err := strconv.ParseUint(string(f[1]), 10, 64); err == nil {
				return pages * uint64(os.Getpagesize())
			}
		}
	}
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		return s[0].Value.Uint64()
	}
	return 0
}

// diskIO returns the bytes the process has read from and written to storage, from
// /proc/self/io (Linux; reads served from the page cache are not counted), and false where
// there is no such file.
func diskIO() (read, written int64, ok bool) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, 0, false
	}
	found := 0
	for line := range bytes.Lines(b) {
		name, value, _ := bytes.Cut(bytes.TrimSpace(line), []byte(": "))
		n, err := strconv.ParseInt(string(value), 10, 64)
		switch {
		case err != nil:
		case string(name) == "read_bytes":
			read, found = n, found+1
		case string(name) == "write_bytes":
			written, found = n, found+1
		}
	}
	return read, written, found == 2
}

// osThreads returns the OS threads of the process, from /proc/self/status or, where there is
// none, the threads the Go runtime has created.
func osThreads() int {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for line := range bytes.Lines(b) {
			if v, ok := bytes.CutPrefix(line, []byte("Threads:")); ok {
				if n, err := strconv.Atoi(string(bytes.TrimSpace(v))); err == nil {
					return n
				}
			}
		}
	}
	return pprof.Lookup("threadcreate").Count()
}
