// An exported Go function returns a Go pointer to its C caller.
package main

/*
extern int call_get_counter(void);
*/
import "C"

import "fmt"

//export getCounter
func getCounter() *C.int {
	counter := new(C.int)
	return counter
}

func main() {
	fmt.Println(C.call_get_counter())
}
