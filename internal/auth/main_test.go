package auth

import (
	"testing"

	"go.uber.org/goleak"
)

// The HA authenticator's tests run a simulated Home Assistant and real connections to it.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
