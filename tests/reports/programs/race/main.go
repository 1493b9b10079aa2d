// A data race on a counter updated from a C callback and from main.
package main

/*
static int twice(int x) { return 2 * x; }
*/
import "C"

import (
	"fmt"
	"sync"
)

var total int

func add(n int) {
	total += int(C.twice(C.int(n)))
}

func main() {
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			add(i)
		}()
	}
	wg.Wait()
	fmt.Println(total)
}
