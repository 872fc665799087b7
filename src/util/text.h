/*
 * text.h - printing guest-controlled strings safely (see text.c).
 */
#ifndef CP_UTIL_TEXT_H
#define CP_UTIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	/* Escape C0/C1 control characters and DEL (terminal safety). */
	CP_TEXT_ESCAPE_CONTROL = 1 << 0,
	/* Escape '\' itself, so "\xNN" in the output is unambiguous. */
	CP_TEXT_ESCAPE_BACKSLASH = 1 << 1,
};

/*
 * Returns a NUL-terminated malloc'd copy of s[0..n) with invalid UTF-8
 * (and, per flags, controls and backslashes) spelled "\xNN"; NULL on OOM.
 */
char *cp_text_sanitize(const char *s, size_t n, unsigned flags);
/* True if cp_text_sanitize() would return s unchanged. */
bool cp_text_is_clean(const char *s, size_t n, unsigned flags);

#endif /* CP_UTIL_TEXT_H */
