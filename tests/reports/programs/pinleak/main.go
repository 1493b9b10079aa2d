// A runtime.Pinner that is dropped while it still pins memory.
package main

/*
static void keep(void *p) { (void)p; }
*/
import "C"

import (
	"runtime"
	"time"
	"unsafe"
)

type buffer struct{ data [64]byte }

func register(b *buffer) {
	var pinner runtime.Pinner
	pinner.Pin(b)
	C.keep(unsafe.Pointer(&b.data[0]))
}

func main() {
	for i := 0; i < 3; i++ {
		register(&buffer{})
	}
	for i := 0; i < 5; i++ {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
}
