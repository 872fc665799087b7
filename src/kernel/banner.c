/*
 * banner.c - carving linux_banner from RAM.
 *
 * init/version.c builds the banner as
 *   "Linux version " UTS_RELEASE " (" COMPILE_BY "@" COMPILE_HOST ") ("
 *   COMPILER ") " UTS_VERSION "\n"
 * and it lives NUL-terminated in .rodata. Copies of the same words sit in
 * the printk ring buffer (without the "\n\0" ending) and in any buffer that
 * read /proc/version; a user process can also plant a look-alike. The
 * carver therefore requires the exact shape, "\n" then NUL, and, when the
 * release is known from VMCOREINFO, that release. It returns the lowest
 * match; kernel discovery later confirms it against the linux_banner
 * symbol's address, which a planted copy cannot satisfy.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mem/mem.h"
#include "mem/scan.h"
#include "util/error.h"

#define BANNER_MAX 1024
static const char prefix[] = "Linux version ";

struct banner_state {
	const char *release;
	char *banner;
	uint64_t paddr;
	bool nomem;
};

/* Length of a well-formed banner at p (up to, not counting, "\n"), or 0. */
static size_t banner_extent(const char *p, size_t avail, const char *release)
{
	size_t plen = sizeof(prefix) - 1, max = avail < BANNER_MAX ? avail :
								     BANNER_MAX;
	size_t i = plen, rel_start = plen;
	while (i < max && p[i] > ' ' && p[i] < 0x7f)
		i++;
	size_t rel_len = i - rel_start;
	if (rel_len == 0 || rel_len > 64 || i + 2 > max || p[i] != ' ' ||
	    p[i + 1] != '(')
		return 0;
	if (release && (strlen(release) != rel_len ||
			memcmp(p + rel_start, release, rel_len) != 0))
		return 0;
	while (i < max && p[i] >= ' ' && p[i] < 0x7f)
		i++;
	if (i + 1 >= max || p[i] != '\n' || p[i + 1] != '\0')
		return 0;
	return i;
}

static int find_in_window(void *arg, uint64_t paddr, const uint8_t *buf,
			  size_t len)
{
	struct banner_state *st = arg;
	const uint8_t *p = buf, *end = buf + len;
	const size_t plen = sizeof(prefix) - 1;
	while ((p = memmem(p, (size_t)(end - p), prefix, plen))) {
		size_t n = banner_extent((const char *)p, (size_t)(end - p),
					 st->release);
		if (n) {
			st->banner = strndup((const char *)p, n);
			st->nomem = !st->banner;
			st->paddr = paddr + (uint64_t)(p - buf);
			return 1;
		}
		p += plen;
	}
	return 0;
}

struct cp_error *cp_banner_find(struct cp_mem *mem, const char *release,
				char **banner, uint64_t *paddr,
				uint64_t *scanned)
{
	struct banner_state st = { .release = release };
	uint64_t n = 0;
	struct cp_error *err =
		cp_mem_scan(mem, BANNER_MAX, find_in_window, &st, &n);
	if (scanned)
		*scanned = n;
	if (err)
		return cp_error_wrap(err, "banner: scan");
	if (st.nomem)
		return &cp_enomem;
	if (!st.banner)
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "banner: no 'Linux version %s' banner in "
				       "%" PRIu64 " MiB scanned",
				       release ? release : "...", n >> 20);
	*banner = st.banner;
	if (paddr)
		*paddr = st.paddr;
	return NULL;
}

char *cp_banner_release(const char *banner)
{
	size_t plen = sizeof(prefix) - 1;
	if (strncmp(banner, prefix, plen) != 0)
		return NULL;
	const char *r = banner + plen, *e = strchr(r, ' ');
	if (!e || e == r)
		return NULL;
	return strndup(r, (size_t)(e - r));
}
