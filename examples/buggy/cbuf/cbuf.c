#include <stdlib.h>
#include <string.h>

#include "cbuf.h"
#include "_cgo_export.h"

buffer *buffer_new(size_t cap) {
	buffer *b = calloc(1, sizeof *b);
	b->data = malloc(cap + 1);
	b->data[0] = '\0';
	b->cap = cap;
	return b;
}

void buffer_free(buffer *b) {
	free(b->data);
	free(b);
}

void buffer_append(buffer *b, const char *s) {
	size_t n = strlen(s);
	if (b->len + n > b->cap) {
		n = b->cap - b->len;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

char *buffer_string(const buffer *b) {
	return strdup(b->data);
}

char *buffer_copy(const buffer *b) {
	char *p = malloc(b->len + 1);
	memcpy(p, b->data, b->len + 1);
	return p;
}

size_t join_lengths(char **items, int n) {
	size_t total = 0;
	for (int i = 0; i < n; i++) {
		total += strlen(items[i]);
	}
	return total;
}

const char *label_for(int id) {
	return goLabel(id);
}
