// Storing a Go pointer into C memory (caught by GOEXPERIMENT=cgocheck2).
package main

/*
#include <stdlib.h>
typedef struct { void *user; } holder;
*/
import "C"

import "unsafe"

type config struct{ name string }

func attach(h *C.holder, cfg *config) {
	h.user = unsafe.Pointer(cfg)
}

func main() {
	h := (*C.holder)(C.malloc(C.sizeof_holder))
	attach(h, &config{name: "x"})
	C.free(unsafe.Pointer(h))
}
