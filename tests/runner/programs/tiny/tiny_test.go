package tiny

import (
	"os"
	"testing"
	"time"
)

func TestAdd(t *testing.T) {
	if Add(1, 2) != 3 {
		t.Fatal("1 + 2 != 3")
	}
}

// TestSleep outlasts any --timeout a test gives cgoguard run, when asked to.
func TestSleep(t *testing.T) {
	if os.Getenv("TINY_SLEEP") == "" {
		t.Skip("TINY_SLEEP is not set")
	}
	time.Sleep(120 * time.Second)
}
