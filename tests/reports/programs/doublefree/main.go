// A double free: the buffer is released by two owners.
package main

/*
#include <stdlib.h>
*/
import "C"

import "unsafe"

type buffer struct{ data unsafe.Pointer }

func (b *buffer) Close() { C.free(b.data) }

func main() {
	b := &buffer{data: C.malloc(32)}
	b.Close()
	C.free(b.data)
}
