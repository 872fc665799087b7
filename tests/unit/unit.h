/*
 * unit.h - what every cmocka unit test includes: cmocka in the order it
 * needs, and helpers for temporary files of synthetic guest data.
 */
#ifndef CP_TESTS_UNIT_H
#define CP_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cloudprobe.h"
#include "util/cleanup.h"

/* Asserts err is NULL, printing its message if not. */
#define assert_ok(expr)                                                       \
	do {                                                                  \
		struct cp_error *_e = (expr);                                 \
		if (_e)                                                       \
			fail_msg("%s: %s", #expr, cp_error_message(_e));      \
	} while (0)

/* Asserts expr fails with code; frees the error. */
#define assert_error(expr, code_)                                             \
	do {                                                                  \
		struct cp_error *_e = (expr);                                 \
		if (!_e)                                                      \
			fail_msg("%s succeeded, expected an error", #expr);   \
		if (cp_error_code(_e) != (code_))                             \
			fail_msg("%s: code %d, expected %d (%s)", #expr,      \
				 cp_error_code(_e), (code_),                  \
				 cp_error_message(_e));                       \
		cp_error_destroy(_e);                                         \
	} while (0)

/* Writes len bytes to a new temporary file; returns its malloc'd path. */
static inline char *unit_tmpfile(const void *data, size_t len)
{
	char tmpl[] = "/tmp/cloudprobe-unit-XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd < 0)
		return NULL;
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n <= 0) {
			close(fd);
			unlink(tmpl);
			return NULL;
		}
		p += n;
		len -= (size_t)n;
	}
	close(fd);
	return strdup(tmpl);
}

#endif /* CP_TESTS_UNIT_H */
