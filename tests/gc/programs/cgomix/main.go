// cgomix mixes allocation with cgo calls whose rate alternates between high and low
// phases, under a runtime/trace, so that GC pauses land in both kinds of window.
package main

/*
#include <time.h>
#include <unistd.h>

// spin busy-waits in C for about us microseconds.
static void spin(long us) {
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - start.tv_sec) * 1000000L + (now.tv_nsec - start.tv_nsec) / 1000 < us);
}

static void nap(long us) { usleep(us); }
*/
import "C"

import (
	"flag"
	"fmt"
	"os"
	"runtime/trace"
	"sync/atomic"
	"time"
)

var sink [][]byte

func main() {
	duration := flag.Duration("d", 1500*time.Millisecond, "how long to run")
	tracePath := flag.String("trace", "", "write an execution trace here")
	flag.Parse()
	if *tracePath != "" {
		f, err := os.Create(*tracePath)
		if err != nil {
			panic(err)
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			panic(err)
		}
		defer trace.Stop()
	}
	deadline := time.Now().Add(*duration)
	var highPhase atomic.Bool
	done := make(chan struct{})
	go func() { // alternate 100 ms of heavy cgo use with 100 ms of light use
		for time.Now().Before(deadline) {
			highPhase.Store(!highPhase.Load())
			time.Sleep(100 * time.Millisecond)
		}
	}()
	for i := 0; i < 2; i++ {
		go func() { // short C calls: many per ms in the high phase, few in the low one
			for time.Now().Before(deadline) {
				if highPhase.Load() {
					C.spin(20)
				} else {
					time.Sleep(2 * time.Millisecond)
					C.spin(20)
				}
			}
			done <- struct{}{}
		}()
	}
	go func() { // longer blocking C calls, some of which return during a pause
		for time.Now().Before(deadline) {
			C.nap(3000)
		}
		done <- struct{}{}
	}()
	allocated := 0
	for time.Now().Before(deadline) {
		buf := make([]byte, 64<<10)
		buf[0] = byte(allocated)
		sink = append(sink, buf)
		if len(sink) > 64 {
			sink = sink[1:]
		}
		allocated++
		if allocated%64 == 0 {
			time.Sleep(100 * time.Microsecond)
		}
	}
	for i := 0; i < 3; i++ {
		<-done
	}
	fmt.Println("allocations:", allocated)
}
