// Two C threads write a C global without a lock (C ThreadSanitizer via CGO_CFLAGS).
package main

/*
#cgo LDFLAGS: -lpthread
#include <pthread.h>

static int counter;

static void *bump(void *arg) {
	(void)arg;
	counter++;
	return 0;
}

static void race_twice(void) {
	pthread_t a, b;
	pthread_create(&a, 0, bump, 0);
	pthread_create(&b, 0, bump, 0);
	pthread_join(a, 0);
	pthread_join(b, 0);
}
*/
import "C"

func main() {
	C.race_twice()
}
