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
	writes int // number of Write calls, for metrics
}

// NewLog returns a log with room for capacity bytes.
func NewLog(capacity int) *Log {
	return &Log{buf: C.buffer_new(C.size_t(capacity))}
}

// Write appends line; the mutex guards the C buffer but not the counter.
func (l *Log) Write(line string) {
	l.writes++ // BUG(data-race): incremented outside the mutex by concurrent writers
	cs := C.CString(line)
	defer C.free(unsafe.Pointer(cs))
	l.mu.Lock()
	C.buffer_append(l.buf, cs)
	l.mu.Unlock()
}

// Writes returns how many lines were written.
func (l *Log) Writes() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writes
}

// Close frees the C buffer.
func (l *Log) Close() {
	C.buffer_free(l.buf)
	l.buf = nil
}
