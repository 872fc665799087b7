/*
 * error.c - creating, wrapping and destroying cp_error objects.
 *
 * Messages are formatted once at creation; wrapping reallocates the message
 * with the new context in front. If formatting the wrapped message runs out
 * of memory the original error is kept unchanged: losing context is better
 * than losing the error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

struct cp_error cp_enomem = {
	.code = CP_ERR_NOMEM,
	.needs_free = false,
	.message = "out of memory",
};

struct cp_error *cp_error_vcreate(enum cp_error_code code, const char *fmt,
				  va_list ap)
{
	struct cp_error *err = malloc(sizeof(*err));
	if (!err)
		return &cp_enomem;
	if (vasprintf(&err->message, fmt, ap) < 0) {
		free(err);
		return &cp_enomem;
	}
	err->code = code;
	err->needs_free = true;
	err->os_errno = 0;
	return err;
}

struct cp_error *cp_error_create(enum cp_error_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct cp_error *err = cp_error_vcreate(code, fmt, ap);
	va_end(ap);
	return err;
}

struct cp_error *cp_error_os(int errnum, const char *fmt, ...)
{
	char *prefix;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (r < 0)
		return &cp_enomem;
	struct cp_error *err = cp_error_create(CP_ERR_OS, "%s: %s", prefix,
					       strerror(errnum));
	free(prefix);
	if (err->needs_free)
		err->os_errno = errnum;
	return err;
}

struct cp_error *cp_error_wrap(struct cp_error *err, const char *fmt, ...)
{
	if (!err || !err->needs_free)
		return err;
	char *context, *message;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&context, fmt, ap);
	va_end(ap);
	if (r < 0)
		return err;
	r = asprintf(&message, "%s: %s", context, err->message);
	free(context);
	if (r < 0)
		return err;
	free(err->message);
	err->message = message;
	return err;
}

void cp_error_destroy(struct cp_error *err)
{
	if (!err || !err->needs_free)
		return;
	free(err->message);
	free(err);
}

const char *cp_error_message(const struct cp_error *err)
{
	return err ? err->message : "success";
}

enum cp_error_code cp_error_code(const struct cp_error *err)
{
	return err ? err->code : 0;
}

int cp_error_errno(const struct cp_error *err)
{
	return err ? err->os_errno : 0;
}

int cp_error_exit_status(const struct cp_error *err)
{
	if (!err)
		return 0;
	return err->code == CP_ERR_PARTIAL ? 1 : 2;
}
