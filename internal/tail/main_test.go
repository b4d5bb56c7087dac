package tail

import (
	"testing"

	"go.uber.org/goleak"
)

// Run's tests stream from real HTTP servers; each connection has a watchdog timer.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
