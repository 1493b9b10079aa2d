// cbuf: a tiny C library with the ownership rules of a typical C API.
#ifndef CBUF_H
#define CBUF_H

#include <stddef.h>

typedef struct buffer {
	char *data;
	size_t len;
	size_t cap;
	void *owner;   /* opaque user data: must not hold a Go pointer */
} buffer;

/* buffer_new returns a buffer the caller owns; release it with buffer_free. */
buffer *buffer_new(size_t cap);
void buffer_free(buffer *b);
/* buffer_append copies s; the caller keeps ownership of s. */
void buffer_append(buffer *b, const char *s);
/* buffer_string returns a NUL-terminated copy the caller must free(). */
char *buffer_string(const buffer *b);
/* buffer_copy returns a malloc'd copy of the len data bytes; the caller must free() it. */
char *buffer_copy(const buffer *b);
/* join_lengths reads n C strings (the array and strings are borrowed). */
size_t join_lengths(char **items, int n);
/* label_for asks the Go callback goLabel for a label and returns it. */
const char *label_for(int id);

#endif
