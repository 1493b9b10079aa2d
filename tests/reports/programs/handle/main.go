// A cgo.Handle used after Delete, as a C callback would do with a stale handle.
package main

/*
#include <stdint.h>
static uintptr_t stash(uintptr_t h) { return h; }
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
)

type session struct{ name string }

func main() {
	h := cgo.NewHandle(&session{name: "a"})
	kept := cgo.Handle(C.stash(C.uintptr_t(h)))
	h.Delete()
	s := kept.Value().(*session)
	fmt.Println(s.name)
}
