package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// userHZ is the unit of utime and stime in /proc/PID/stat. Linux fixes it at 100 for user
// space on every architecture Go runs on; the standard library has no sysconf to ask.
const userHZ = 100

// probe reads a server's CPU time and resident memory from /proc. A zero pid reads nothing and
// gives zeros, for runs without -pid.
type probe struct{ pid int }

// cpu is the user and system CPU time the process has used so far.
func (p probe) cpu() time.Duration {
	if p.pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
	if err != nil {
		return 0
	}
	d, _ := statCPU(b)
	return d
}

// rssKB is the process's resident set (VmRSS) in KiB.
func (p probe) rssKB() int64 {
	if p.pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid))
	if err != nil {
		return 0
	}
	v, _ := statusKB(b, "VmRSS")
	return v
}

// nofile is the process's soft limit on open files.
func (p probe) nofile() int64 {
	if p.pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", p.pid))
	if err != nil {
		return 0
	}
	v, _ := limitsOpenFiles(b)
	return v
}

// statCPU reads utime+stime (fields 14 and 15) from the contents of /proc/PID/stat. The
// command name (field 2) is in parentheses and may hold spaces and parentheses itself, so the
// fields are counted from the last ')'.
func statCPU(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("stat: no command name")
	}
	f := bytes.Fields(stat[i+1:]) // f[0] is field 3
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the command name, want 13 or more", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		v, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat: %w", err)
		}
		ticks += v
	}
	return time.Duration(ticks) * (time.Second / userHZ), nil
}

// statusKB reads the value of "key:" in kB from the contents of /proc/PID/status.
func statusKB(status []byte, key string) (int64, error) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte(key+":"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) == 0 {
			return 0, fmt.Errorf("status: %s has no value", key)
		}
		return strconv.ParseInt(string(f[0]), 10, 64)
	}
	return 0, fmt.Errorf("status: no %s", key)
}

// limitsOpenFiles reads the soft limit of "Max open files" from the contents of
// /proc/PID/limits.
func limitsOpenFiles(limits []byte) (int64, error) {
	for line := range bytes.Lines(limits) {
		rest, ok := bytes.CutPrefix(line, []byte("Max open files"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) == 0 {
			return 0, errors.New("limits: open files has no value")
		}
		return strconv.ParseInt(string(f[0]), 10, 64)
	}
	return 0, errors.New("limits: no open files line")
}

// selfCPU is the CPU time this process has used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// raiseNofile lifts this process's limit on open files as far as it may and returns the soft
// limit. Go already raises the soft limit to the hard one at start; a higher hard limit needs
// CAP_SYS_RESOURCE, and is only tried.
func raiseNofile() uint64 {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil {
		return 0
	}
	if want := uint64(1 << 20); lim.Max < want {
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: want, Max: want})
	}
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	return lim.Cur
}
