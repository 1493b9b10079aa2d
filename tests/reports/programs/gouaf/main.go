// Go code reads C memory after freeing it (go build -asan instruments the Go read).
package main

/*
#include <stdlib.h>
typedef struct { int len; } item;
*/
import "C"

import (
	"fmt"
	"unsafe"
)

func main() {
	it := (*C.item)(C.malloc(C.sizeof_item))
	it.len = 3
	C.free(unsafe.Pointer(it))
	fmt.Println(it.len)
}
