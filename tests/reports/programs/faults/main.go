// Crashes in C on addresses of different kinds: `faults MODE`, MODE one of nil-field,
// unmapped, unmapped-part (the first half of a mapping unmapped), prot-none, garbage. With
// FAULTS_MAPS=FILE the program copies /proc/self/maps into FILE just before the faulting
// access (a snapshot taken by the user).
package main

/*
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct { long id; long size; void *data; int count; } config;

static int config_count(config *c) { return c->count; }

// Maps size bytes, unmaps the first released of them after a pause: the pointer to the start
// dangles, and when released < size the rest of the mapping outlives it.
static char *released_buffer(int pause_ms, size_t size, size_t released) {
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) abort();
	memset(p, 1, 4096);
	usleep(pause_ms * 1000);
	munmap(p, released);
	return p;
}

static char *reserved_region(void) {
	char *p = mmap(NULL, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) abort();
	return p;
}

static char *text_as_pointer(void) {
	char *p;
	memcpy(&p, "hello!!!", sizeof p);
	return p;
}

static int byte_at(char *p, long i) { return p[i]; }

static void save_maps(const char *path) {
	FILE *in = fopen("/proc/self/maps", "r"), *out = fopen(path, "w");
	char buf[4096];
	size_t n;
	if (in == NULL || out == NULL) abort();
	while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
	fclose(in);
	fclose(out);
}
*/
import "C"

import (
	"fmt"
	"os"
	"unsafe"
)

func snapshot() {
	if path := os.Getenv("FAULTS_MAPS"); path != "" {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		C.save_maps(cpath)
	}
}

func nilField() int {
	var c *C.config
	snapshot()
	return int(C.config_count(c)) // FAULT nil-field
}

// The pause is long enough for run's periodic maps snapshot, even on a loaded machine.
const pauseMs = 1500

func unmapped() int {
	p := C.released_buffer(pauseMs, 1<<20, 1<<20)
	snapshot()
	return int(C.byte_at(p, 16)) // FAULT unmapped
}

func unmappedPart() int {
	p := C.released_buffer(pauseMs, 2<<20, 1<<20)
	snapshot()
	return int(C.byte_at(p, 16)) // FAULT unmapped-part
}

func protNone() int {
	p := C.reserved_region()
	snapshot()
	return int(C.byte_at(p, 16)) // FAULT prot-none
}

func garbage() int {
	p := C.text_as_pointer()
	snapshot()
	return int(C.byte_at(p, 0)) // FAULT garbage
}

func main() {
	modes := map[string]func() int{"nil-field": nilField, "unmapped": unmapped, "unmapped-part": unmappedPart,
		"prot-none": protNone, "garbage": garbage}
	mode, ok := modes[os.Args[len(os.Args)-1]]
	if !ok {
		fmt.Fprintln(os.Stderr, "usage: faults nil-field|unmapped|unmapped-part|prot-none|garbage")
		os.Exit(2)
	}
	fmt.Println(mode())
}
