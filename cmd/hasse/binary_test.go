package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// testBinary is the hasse binary the tests of one test process run, built once by the first
// test that needs it and removed when the process ends (TestMain).
type testBinary struct {
	once sync.Once
	dir  string
	path string
	out  []byte // go build's output when it failed
	err  error
}

var built testBinary

// buildHasse returns the path of the binary, built from this package on first use.
func buildHasse(t *testing.T) string {
	t.Helper()
	b := &built
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "hasse-test-"); b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "hasse")
		b.out, b.err = exec.Command("go", "build", "-o", b.path, ".").CombinedOutput()
	})
	if b.err != nil {
		t.Fatalf("go build: %v\n%s", b.err, b.out)
	}
	return b.path
}

// remove deletes the binary, if it was built.
func (b *testBinary) remove() {
	if b.dir != "" {
		_ = os.RemoveAll(b.dir)
	}
}
