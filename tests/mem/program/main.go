// A process whose memory behaves in one of four ways, for `cgoguard mem` tests:
//
//	cleak   malloc's C memory and never frees it
//	goleak  keeps every Go allocation reachable
//	steady  keeps a fixed working set on both sides
//	frees   allocates and frees C memory, and makes Go garbage
//	warmcleak  fills a Go cache for its first 1.1 s (a warm-up), and malloc's C memory
//	           and never frees it all along
package main

/*
#include <stdlib.h>
#include <string.h>

// Not static: the compiler must assume someone reads it, so the mallocs stay.
void *cgoguard_sink[1 << 16];
int cgoguard_sunk;

// Allocate and touch n bytes, keeping the pointer so the compiler cannot drop the malloc.
static void c_leak(size_t n) { void *p = malloc(n); memset(p, 1, n); cgoguard_sink[cgoguard_sunk++ & 0xffff] = p; }
static void c_churn(size_t n) { void *volatile p = malloc(n); memset(p, 1, n); free(p); }
*/
import "C"

import (
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"time"
)

const chunk = 256 << 10

var kept [][]byte

func touch(b []byte) []byte {
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	return b
}

// step does one round of the mode's work; started is when the observation began.
func step(mode string, started time.Time) {
	for i := 0; i < 8; i++ {
		switch mode {
		case "cleak":
			C.c_leak(chunk)
		case "warmcleak":
			if time.Since(started) < 1100*time.Millisecond {
				kept = append(kept, touch(make([]byte, chunk)))
			}
			C.c_leak(chunk)
		case "goleak":
			kept = append(kept, touch(make([]byte, chunk)))
		case "frees":
			C.c_churn(chunk)
			_ = touch(make([]byte, chunk))
		case "steady":
			_ = touch(make([]byte, 4096))
		}
	}
	time.Sleep(100 * time.Millisecond)
}

func main() {
	mode := os.Args[1]
	if mode == "steady" {
		for i := 0; i < 40; i++ {
			kept = append(kept, touch(make([]byte, chunk)))
			C.c_leak(chunk)
		}
	}
	if mode != "warmcleak" {
		// Run a while before saying ready, like a process one attaches to: the runtime's
		// first GC cycles and malloc's per-thread arenas have set themselves up (about
		// 0.5 MB of either side that would otherwise rise at the start of the observation).
		// The warm-up mode's warm-up is what its test observes.
		settled := time.Now().Add(500 * time.Millisecond)
		for time.Now().Before(settled) {
			step(mode, time.Now())
		}
	}
	if os.Getenv("MEMPROG_PPROF") != "" {
		// Loopback only: the test reads the runtime's MemStats from here.
		listener, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		go http.Serve(listener, nil)
		fmt.Println("ready", "http://"+listener.Addr().String())
	} else {
		fmt.Println("ready")
	}
	started := time.Now()
	for time.Since(started) < 60*time.Second {
		step(mode, started)
	}
}
