package work

import (
	"testing"
	"time"
)

func TestWork(t *testing.T) {
	deadline := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(deadline) {
		Heavy()
		Light()
	}
}
