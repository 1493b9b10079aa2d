// Out-of-bounds write to Go memory through unsafe pointer arithmetic (seen by go build -asan).
package main

import "C"

import (
	"fmt"
	"unsafe"
)

func main() {
	p := new([1024 * 1000]int8)
	p[0] = 10
	r := bar(&p[1024*1000-1])
	fmt.Printf("r value is %d", r)
}

func bar(a *int8) int {
	p := unsafe.Add(unsafe.Pointer(a), 4)
	*(*int8)(p) = 10
	return int(*(*int8)(p))
}
