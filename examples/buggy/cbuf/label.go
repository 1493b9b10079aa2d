package cbuf

/*
#include "cbuf.h"
*/
import "C"

import (
	"strconv"
	"unsafe"
)

// goLabel is called from C (label_for in cbuf.c).
//
//export goLabel
func goLabel(id C.int) *C.char {
	label := []byte("item-" + strconv.Itoa(int(id)) + "\x00")
	return (*C.char)(unsafe.Pointer(&label[0])) // BUG(go-pointer-returned-to-c): C receives a pointer into the Go heap
}

// Label returns the C library's label for id.
func Label(id int) string {
	return C.GoString(C.label_for(C.int(id)))
}
