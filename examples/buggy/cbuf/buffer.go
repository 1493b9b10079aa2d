// Package cbuf wraps the C buffer library in cbuf.c.
//
// THIS PACKAGE IS DELIBERATELY BROKEN: it is cgoguard's example of the ways real cgo
// wrappers get memory ownership wrong. Every bug is marked with a "BUG(<category>)"
// comment on the line a good report points at; examples/clean is the same API done right.
package cbuf

/*
#include <stdlib.h>
#include "cbuf.h"
*/
import "C"

import "unsafe"

// Buffer owns a C buffer.
type Buffer struct {
	c *C.buffer
}

// New allocates a buffer with room for capacity bytes.
func New(capacity int) *Buffer {
	return &Buffer{c: C.buffer_new(C.size_t(capacity))}
}

// Close frees the C buffer but leaves b.c pointing at the freed memory.
func (b *Buffer) Close() {
	C.buffer_free(b.c)
}

// Len reads the length straight from the C struct, even after Close.
func (b *Buffer) Len() int {
	return int(b.c.len) // BUG(use-after-free): b.c was freed by Close and is still dereferenced
}

// Append copies s into the buffer.
func (b *Buffer) Append(s string) {
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	C.buffer_append(b.c, cs)
}

// String returns the contents; buffer_string's result is owned by the caller and never freed.
func (b *Buffer) String() string {
	return C.GoString(C.buffer_string(b.c)) // BUG(c-leak): the malloc'd copy is never freed
}

// Bytes frees the copy twice: once explicitly and once more in the deferred call.
func (b *Buffer) Bytes() []byte {
	p := C.buffer_copy(b.c)
	defer C.free(unsafe.Pointer(p)) // BUG(double-free): frees p a second time when Bytes returns
	out := C.GoBytes(unsafe.Pointer(p), C.int(b.c.len))
	C.free(unsafe.Pointer(p)) // first free: the deferred call above frees p again
	return out
}

// Owner is Go-side state attached to a buffer.
type Owner struct {
	Name string
}

// SetOwner stores a Go pointer in C memory, where the garbage collector cannot see it.
func (b *Buffer) SetOwner(o *Owner) {
	b.c.owner = unsafe.Pointer(o) // BUG(go-pointer-stored-in-c-memory): C struct holds a Go pointer
}
