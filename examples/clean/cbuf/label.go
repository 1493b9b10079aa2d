package cbuf

/*
#include <stdlib.h>
#include "cbuf.h"
*/
import "C"

import (
	"strconv"
	"unsafe"
)

// goLabel is called from C (label_for in cbuf.c). It returns C memory: ownership of the
// string passes to the C caller, which frees it.
//
//export goLabel
func goLabel(id C.int) *C.char {
	return C.CString("item-" + strconv.Itoa(int(id)))
}

// Label returns the C library's label for id and frees the C copy.
func Label(id int) string {
	p := C.label_for(C.int(id))
	defer C.free(unsafe.Pointer(p))
	return C.GoString(p)
}
