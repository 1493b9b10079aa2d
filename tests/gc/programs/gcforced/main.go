// gcforced allocates enough to trigger background GC cycles, forces three more with
// runtime.GC(), and prints the runtime's own cycle counts for the test to compare.
package main

import (
	"fmt"
	"runtime"
)

var sink [][]byte

func main() {
	for round := 0; round < 3; round++ {
		for i := 0; i < 4000; i++ {
			sink = append(sink, make([]byte, 16<<10))
			if len(sink) > 256 {
				sink = sink[1:]
			}
		}
		runtime.GC()
	}
	sink = nil
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	fmt.Printf("numgc=%d forced=%d\n", stats.NumGC, stats.NumForcedGC)
}
