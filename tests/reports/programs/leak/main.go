// A leak: the copy made by dup_name is never freed.
package main

/*
#include <stdlib.h>
#include <string.h>
static char *dup_name(const char *s) { return strdup(s); }
*/
import "C"

import (
	"fmt"
	"unsafe"
)

func describe(name string) int {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	copy := C.dup_name(cs)
	return int(C.strlen(copy))
}

func main() {
	total := 0
	for i := 0; i < 100; i++ {
		total += describe(fmt.Sprintf("name-%d", i))
	}
	fmt.Println(total)
}
