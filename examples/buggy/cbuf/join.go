package cbuf

/*
#include "cbuf.h"
*/
import "C"

import "unsafe"

// TotalLength passes C an array of pointers into Go memory.
func TotalLength(parts []string) int {
	if len(parts) == 0 {
		return 0
	}
	ptrs := make([]*C.char, len(parts))
	for i, part := range parts {
		b := append([]byte(part), 0)
		ptrs[i] = (*C.char)(unsafe.Pointer(&b[0]))
	}
	return int(C.join_lengths(&ptrs[0], C.int(len(ptrs)))) // BUG(go-pointer-to-go-pointer): the array holds unpinned Go pointers
}
