package a

// #include <string.h>
// #include <stdlib.h>
import "C"

// Len is strlen through C.
func Len(s string) int {
	cs := C.CString(s)
	defer C.free(unsafePointer(cs))
	return int(C.strlen(cs))
}
