/*
 * banner.c - carving linux_banner from RAM.
 *
 * init/version.c builds the banner as
 *   "Linux version " UTS_RELEASE " (" COMPILE_BY "@" COMPILE_HOST ") ("
 *   COMPILER ") " UTS_VERSION "\n"
 * and it lives NUL-terminated in .rodata. Copies of the same words sit in
 * the printk ring buffer (without the "\n\0" ending) and in any buffer that
 * read /proc/version; a user process can also plant a look-alike. Since
 * 6.1 the image even holds two real-looking banners: init/version.c keeps a
 * __weak placeholder whose UTS_VERSION has no build number ("# SMP ..."),
 * overridden by init/version-timestamp.c's real one ("#1 SMP ..."); the
 * linker drops the weak symbol but not its bytes.
 *
 * The carver therefore requires the exact shape, "\n" then NUL, and, when
 * the release is known from VMCOREINFO, that release. Among the matches it
 * prefers one ending in the kernel's UTS_VERSION when the caller knows it
 * (read from init_uts_ns), then one with a build number after '#', then
 * the lowest address. Kernel discovery later confirms the choice against
 * the linux_banner symbol's address, which a planted copy cannot satisfy.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mem/mem.h"
#include "mem/scan.h"
#include "util/error.h"

#define BANNER_MAX 1024
static const char prefix[] = "Linux version ";

#define BANNER_MAX_CANDIDATES 64

struct banner_candidate {
	char *text;
	uint64_t paddr;
};

struct banner_state {
	const char *release;
	struct banner_candidate cand[BANNER_MAX_CANDIDATES];
	size_t ncand;
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
	while ((p = cp_find(p, (size_t)(end - p), prefix, plen))) {
		size_t n = banner_extent((const char *)p, (size_t)(end - p),
					 st->release);
		if (n) {
			struct banner_candidate *c = &st->cand[st->ncand++];
			c->text = strndup((const char *)p, n);
			c->paddr = paddr + (uint64_t)(p - buf);
			if (!c->text) {
				st->nomem = true;
				return 1;
			}
			/* Enough to choose from; the rest are more copies. */
			if (st->ncand == BANNER_MAX_CANDIDATES)
				return 1;
		}
		p += plen;
	}
	return 0;
}

/* Higher is better; see the file comment for the order. */
static int candidate_rank(const char *text, const char *uts_version)
{
	size_t n = strlen(text), v = uts_version ? strlen(uts_version) : 0;
	if (v && n > v && text[n - v - 1] == ' ' &&
	    strcmp(text + n - v, uts_version) == 0)
		return 2;
	const char *hash = strstr(text, ") #");
	return hash && hash[3] >= '0' && hash[3] <= '9' ? 1 : 0;
}

struct cp_error *cp_banner_find(struct cp_mem *mem, const char *release,
				const char *uts_version, char **banner,
				uint64_t *paddr, uint64_t *scanned)
{
	struct banner_state st = { .release = release };
	uint64_t n = 0;
	struct cp_error *err =
		cp_mem_scan(mem, BANNER_MAX, find_in_window, &st, &n);
	/* Stopped early with enough candidates: count what was searched. */
	if (st.ncand == BANNER_MAX_CANDIDATES)
		n = cp_mem_bytes_below(mem, st.cand[st.ncand - 1].paddr);
	if (scanned)
		*scanned = n;
	if (!err && st.nomem)
		err = &cp_enomem;
	if (!err && st.ncand == 0)
		err = cp_error_create(CP_ERR_NOT_FOUND,
				      "banner: no 'Linux version %s' banner in "
				      "%" PRIu64 " MiB scanned",
				      release ? release : "...", n >> 20);
	size_t best = 0;
	int best_rank = -1;
	for (size_t i = 0; !err && i < st.ncand; i++) {
		int r = candidate_rank(st.cand[i].text, uts_version);
		if (r > best_rank) {
			best = i;
			best_rank = r;
		}
	}
	for (size_t i = 0; i < st.ncand; i++) {
		if (!err && i == best) {
			*banner = st.cand[i].text;
			if (paddr)
				*paddr = st.cand[i].paddr;
		} else {
			free(st.cand[i].text);
		}
	}
	return err;
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
