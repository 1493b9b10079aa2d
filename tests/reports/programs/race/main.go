// A data race on a counter updated after a cgo call, from main and from a goroutine.
package main

/*
static int twice(int x) { return 2 * x; }
*/
import "C"

import "fmt"

var total int

func add(n int) {
	total += int(C.twice(C.int(n)))
}

func main() {
	done := make(chan bool)
	go func() {
		add(1)
		done <- true
	}()
	add(2)
	<-done
	fmt.Println(total)
}
