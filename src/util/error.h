/*
 * error.h - the one error type of cloudprobe.
 *
 * Every fallible function returns `struct cp_error *`: NULL on success, an
 * error object otherwise (the libdrgn convention). Errors carry a code that
 * callers may branch on and a message meant for a person: what failed, with
 * enough context to know what to try next. Callers add context as the error
 * travels up with cp_error_wrap(), which prefixes "context: ".
 *
 * Out of memory never allocates: cp_error_create() falls back to the static
 * cp_enomem object, and cp_error_destroy() ignores static errors.
 *
 * This file is not for logging or for exit codes policy; the CLI maps codes
 * to exit statuses (cp_error_exit_status).
 */
#ifndef CP_UTIL_ERROR_H
#define CP_UTIL_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

#include "cloudprobe.h"

struct cp_error {
	enum cp_error_code code;
	/* false for the static errors (cp_enomem); those are never freed. */
	bool needs_free;
	/* errno for CP_ERR_OS, 0 otherwise. */
	int os_errno;
	char *message;
};

/* Frees an error from _create/_wrap; NULL and static errors are ignored. */
static inline void cp_error_freep(struct cp_error **errp)
{
	cp_error_destroy(*errp);
}

/* Declares an error variable destroyed when it leaves scope. */
#define _cleanup_error_ __attribute__((cleanup(cp_error_freep)))

struct cp_error *cp_error_vcreate(enum cp_error_code code, const char *fmt,
				  va_list ap)
	__attribute__((format(printf, 2, 0)));

#endif /* CP_UTIL_ERROR_H */
