// A use-after-free: the item is freed while a map still refers to it.
package main

/*
#include <stdlib.h>

typedef struct { char *name; int len; } item;

static item *item_new(int n) {
	item *it = malloc(sizeof(item));
	it->name = malloc(n);
	it->len = n;
	return it;
}

static void item_free(item *it) { free(it->name); free(it); }

static int item_len(item *it) { return it->len; }
*/
import "C"

import "fmt"

var cache = map[string]*C.item{}

func main() {
	it := C.item_new(8)
	cache["a"] = it
	C.item_free(it)
	fmt.Println(C.item_len(cache["a"]))
}
