package main

/*
#include <stdlib.h>
static int twice(int x) { return 2 * x; }
*/
import "C"

import (
	"fmt"
	"unsafe"

	"example.com/hashcheck/sub/a"
)

func main() {
	p := C.malloc(8)
	C.free(unsafe.Pointer(p))
	fmt.Println(C.twice(3), a.Len("xy"))
}
