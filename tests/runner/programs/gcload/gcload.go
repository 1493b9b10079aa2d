// Package gcload allocates enough to run many GC cycles while making cgo calls.
package gcload

// #include <unistd.h>
// static void nap(void) { usleep(50); }
import "C"

// sink keeps each buffer reachable until the next one replaces it, so it is heap-allocated.
var sink []byte

// Churn allocates n 64 KiB buffers, calling C every 50 allocations.
func Churn(n int) int {
	total := 0
	for i := 0; i < n; i++ {
		sink = make([]byte, 64<<10)
		total += len(sink)
		if i%50 == 0 {
			C.nap()
		}
	}
	return total
}
