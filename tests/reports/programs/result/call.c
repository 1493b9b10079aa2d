#include "_cgo_export.h"

int call_get_counter(void) {
	int *p = getCounter();
	return p != 0;
}
