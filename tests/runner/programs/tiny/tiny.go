// Package tiny is a module whose checks can be made to fail in each way cgoguard run reports.
package tiny

/*
static int add(int a, int b) { return a + b; }
*/
import "C"

// Add adds through C.
func Add(a, b int) int { return int(C.add(C.int(a), C.int(b))) }
