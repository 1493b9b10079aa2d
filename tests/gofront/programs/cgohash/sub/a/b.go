package a

/*
#include <stdlib.h>
*/
import "C"
import "unsafe"

func unsafePointer(p *C.char) unsafe.Pointer { return unsafe.Pointer(p) }

//export Exported
func Exported() C.int { return 7 }
