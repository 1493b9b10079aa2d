// Package work spends 3:1 of its C time in Heavy and Light, for cgoguard run --check profile.
package work

/*
static volatile unsigned long sink;

void spin(unsigned long n) {
	for (unsigned long i = 0; i < n; i++) {
		sink += i * i;
	}
}
*/
import "C"

const unit = 1_000_000

// Heavy does three units of C work.
//
//go:noinline
func Heavy() { C.spin(3 * unit) }

// Light does one unit of C work.
//
//go:noinline
func Light() { C.spin(unit) }
