// Passing Go memory that holds an unpinned Go pointer to C.
package main

/*
static void consume(void *p) { (void)p; }
*/
import "C"

import "unsafe"

type node struct {
	value int
	next  *node
}

func main() {
	tail := &node{value: 2}
	head := &node{value: 1, next: tail}
	C.consume(unsafe.Pointer(head))
}
