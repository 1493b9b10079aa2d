package cbuf

/*
#include "cbuf.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// TotalLength pins every string it hands to C, so the pointer array may hold Go pointers.
func TotalLength(parts []string) int {
	if len(parts) == 0 {
		return 0
	}
	var pinner runtime.Pinner
	defer pinner.Unpin()
	ptrs := make([]*C.char, len(parts))
	for i, part := range parts {
		b := append([]byte(part), 0)
		pinner.Pin(&b[0])
		ptrs[i] = (*C.char)(unsafe.Pointer(&b[0]))
	}
	return int(C.join_lengths(&ptrs[0], C.int(len(ptrs))))
}
