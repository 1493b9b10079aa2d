// A cgo program with a known split of C work between Go call sites, for cgoguard profile.
//
// heavy and light call two C functions with 3:1 of the same work; mixHeavy and mixLight
// call one C function, mix, with 3:1 of the work. With -maps it maps memory from C instead:
// keepMaps leaves its mappings in place, tempMaps unmaps its own.
package main

/*
#include <stddef.h>
#include <sys/mman.h>

static volatile unsigned long sink;

static void burn(unsigned long n) {
	for (unsigned long i = 0; i < n; i++) {
		sink += i * i;
	}
}

void spinA(unsigned long n) { burn(n); }
void spinB(unsigned long n) { burn(n); }
void mix(unsigned long n) { burn(n); }

void *keep_map(size_t size) {
	return mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

void temp_map(size_t size) {
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED) {
		munmap(p, size);
	}
}
*/
import "C"

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"
)

const unit = 1_000_000

//go:noinline
func heavy() { C.spinA(3 * unit) }

//go:noinline
func light() { C.spinB(unit) }

//go:noinline
func mixHeavy() { C.mix(3 * unit) }

//go:noinline
func mixLight() { C.mix(unit) }

//go:noinline
func keepMaps(count int) {
	for i := 0; i < count; i++ {
		C.keep_map(1 << 20)
	}
}

//go:noinline
func tempMaps(count int) {
	for i := 0; i < count; i++ {
		C.temp_map(1 << 20)
	}
}

func main() {
	seconds := flag.Float64("seconds", 2, "how long to run the CPU work")
	profile := flag.String("cpuprofile", "", "write a Go CPU profile to this file")
	maps := flag.Bool("maps", false, "map memory from C instead of spinning")
	flag.Parse()
	if *maps {
		keepMaps(4)
		tempMaps(4)
		return
	}
	if *profile != "" {
		out, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(out); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	deadline := time.Now().Add(time.Duration(*seconds * float64(time.Second)))
	for time.Now().Before(deadline) {
		heavy()
		light()
		mixHeavy()
		mixLight()
	}
}
