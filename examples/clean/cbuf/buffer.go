// Package cbuf wraps the C buffer library in cbuf.c.
//
// It is the correct counterpart of examples/buggy: the same API with C ownership
// handled the way cgo requires (see the comments on each function).
package cbuf

/*
#include <stdlib.h>
#include "cbuf.h"
*/
import "C"

import (
	"runtime"
	"runtime/cgo"
	"unsafe"
)

// Buffer owns a C buffer.
type Buffer struct {
	c     *C.buffer
	owner cgo.Handle
}

// New allocates a buffer with room for capacity bytes.
func New(capacity int) *Buffer {
	b := &Buffer{c: C.buffer_new(C.size_t(capacity))}
	// Safety net for a forgotten Close; Close is still the way to release promptly.
	runtime.SetFinalizer(b, (*Buffer).Close)
	return b
}

// Close frees the C buffer once; later calls and later methods see a nil buffer.
func (b *Buffer) Close() {
	if b.c == nil {
		return
	}
	C.buffer_free(b.c)
	b.c = nil
	if b.owner != 0 {
		b.owner.Delete()
		b.owner = 0
	}
	runtime.SetFinalizer(b, nil)
}

// Len returns the length, 0 after Close.
func (b *Buffer) Len() int {
	if b.c == nil {
		return 0
	}
	return int(b.c.len)
}

// Append copies s into the buffer.
func (b *Buffer) Append(s string) {
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	C.buffer_append(b.c, cs)
	// The finalizer must not free b.c while buffer_append still uses it.
	runtime.KeepAlive(b)
}

// String returns the contents and frees the caller-owned copy.
func (b *Buffer) String() string {
	p := C.buffer_string(b.c)
	defer C.free(unsafe.Pointer(p))
	runtime.KeepAlive(b)
	return C.GoString(p)
}

// Bytes returns the contents; the deferred call is the only free.
func (b *Buffer) Bytes() []byte {
	p := C.buffer_copy(b.c)
	defer C.free(unsafe.Pointer(p))
	out := C.GoBytes(unsafe.Pointer(p), C.int(b.c.len))
	runtime.KeepAlive(b)
	return out
}

// Owner is Go-side state attached to a buffer.
type Owner struct {
	Name string
}

// SetOwner stores a cgo.Handle (an integer) in C memory instead of a Go pointer.
func (b *Buffer) SetOwner(o *Owner) {
	if b.owner != 0 {
		b.owner.Delete()
	}
	b.owner = cgo.NewHandle(o)
	b.c.owner = C.uintptr_t(b.owner)
	runtime.KeepAlive(b)
}

// Owner returns the Go value attached with SetOwner, or nil.
func (b *Buffer) Owner() *Owner {
	if b.c == nil || b.c.owner == 0 {
		return nil
	}
	return cgo.Handle(b.c.owner).Value().(*Owner)
}
