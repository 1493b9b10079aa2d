// Go code reads freed C memory through an unsafe.String view made by a helper: the read is
// runtime.slicecopy's, inside strings.Builder.
package main

/*
#include <stdlib.h>
#include <string.h>
static char *make_name(void) { char *p = malloc(16); strcpy(p, "hello, world"); return p; }
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"
)

// view makes a Go string of C memory without copying it.
func view(p *C.char) string {
	return unsafe.String((*byte)(unsafe.Pointer(p)), C.strlen(p))
}

func greeting() string {
	p := C.make_name()
	name := view(p)
	C.free(unsafe.Pointer(p))
	var b strings.Builder
	b.WriteString(name)
	return b.String()
}

func main() {
	fmt.Println(greeting())
}
