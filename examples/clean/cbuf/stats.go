package cbuf

/*
#include <stdlib.h>
#include "cbuf.h"
*/
import "C"

import (
	"sync"
	"unsafe"
)

// Log appends lines to a C buffer from many goroutines.
type Log struct {
	mu     sync.Mutex
	buf    *C.buffer
	writes int // guarded by mu, like buf
}

// NewLog returns a log with room for capacity bytes.
func NewLog(capacity int) *Log {
	return &Log{buf: C.buffer_new(C.size_t(capacity))}
}

// Write appends line; the mutex guards both the C buffer and the counter.
func (l *Log) Write(line string) {
	cs := C.CString(line)
	defer C.free(unsafe.Pointer(cs))
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	C.buffer_append(l.buf, cs)
}

// Writes returns how many lines were written.
func (l *Log) Writes() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writes
}

// Close frees the C buffer.
func (l *Log) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf != nil {
		C.buffer_free(l.buf)
		l.buf = nil
	}
}
