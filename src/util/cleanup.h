/*
 * cleanup.h - scope-bound cleanup for the common resources.
 *
 * `_cleanup_free_ char *p = NULL;` frees p on every return path, so early
 * returns stay short and nothing leaks (the libdrgn and systemd idiom).
 * Transfer ownership out of such a variable with cp_steal_ptr().
 */
#ifndef CP_UTIL_CLEANUP_H
#define CP_UTIL_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cp_freep(void *p)
{
	free(*(void **)p);
}

static inline void cp_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void cp_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ __attribute__((cleanup(cp_freep)))
#define _cleanup_close_ __attribute__((cleanup(cp_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(cp_fclosep)))

/* Returns *pp and sets it to NULL, so the cleanup attribute skips it. */
#define cp_steal_ptr(pp)                                                      \
	({                                                                    \
		__typeof__(*(pp)) _stolen = *(pp);                            \
		*(pp) = NULL;                                                 \
		_stolen;                                                      \
	})

#define CP_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* CP_UTIL_CLEANUP_H */
