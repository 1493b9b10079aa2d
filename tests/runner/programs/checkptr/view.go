// Package view reads records through unsafe views; one of them reaches past its allocation.
package view

import "unsafe"

// 16 bytes: smaller pointer-free objects share the tiny allocator's blocks, where checkptr
// cannot tell one object from the next.
type header struct {
	kind  uint64
	count uint64
}

var sink any

// Count reads the count of a header through its address and the field's offset.
func Count(h *header) uint64 {
	return *(*uint64)(unsafe.Add(unsafe.Pointer(h), unsafe.Offsetof(h.count)))
}

// Trailer reads the word after a header: past the end of its allocation.
func Trailer() uint64 {
	h := &header{kind: 1, count: 2}
	sink = h
	return *(*uint64)(unsafe.Add(unsafe.Pointer(h), unsafe.Sizeof(*h))) // BUG: past the end
}
