/*
 * task_user.c - a process's argv and environment, read from its own user
 * memory (see tasks.h), and the text helpers that present them.
 *
 * The page tables at mm->pgd (a direct-map address) map the process's user
 * half; one cp_vas per read, all sharing one translation cache for the view
 * run. Reads go page by page so that a page that is not present (swapped
 * out, never touched) ends the data there with `incomplete` set, instead
 * of losing everything read before it. Areas are bounded by
 * CP_TASK_USER_MAX; the bounds themselves (arg_start..env_end) are guest
 * data and checked to be ordered user-half addresses.
 *
 * The selection of bytes follows fs/proc/base.c get_mm_cmdline() and
 * environ_read(), so the result equals what the guest's /proc returns.
 *
 * Not for: mappings (maps view) or reading other processes' memory by
 * pid (callers hold a struct cp_task).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64.h"
#include "linux/tasks.h"
#include "util/cleanup.h"
#include "util/error.h"

#define PAGE 4096u

struct cp_task_user {
	struct cp_profile *p;
	struct cp_mem *mem;
	unsigned levels;
	struct cp_vas_cache *cache;
};

struct cp_error *cp_task_user_create(struct cp_profile *p,
				     struct cp_task_user **ret)
{
	const struct cp_kernel_layout *l = cp_profile_layout(p);
	struct cp_mem *mem = cp_profile_mem(p);
	if (!l || !mem)
		return cp_error_create(CP_ERR_UNSUPPORTED,
				       "user memory: the kernel's layout is "
				       "unknown");
	_cleanup_free_ struct cp_task_user *u = calloc(1, sizeof(*u));
	if (!u)
		return &cp_enomem;
	u->p = p;
	u->mem = mem;
	u->levels = l->levels;
	struct cp_error *err = cp_vas_cache_create(CP_VAS_DEFAULT_TLB,
						   CP_VAS_DEFAULT_TABLES,
						   &u->cache);
	if (err)
		return cp_error_wrap(err, "user memory");
	*ret = cp_steal_ptr(&u);
	return NULL;
}

void cp_task_user_destroy(struct cp_task_user *u)
{
	if (!u)
		return;
	cp_vas_cache_destroy(u->cache);
	free(u);
}

void cp_user_bytes_free(struct cp_user_bytes *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* The user half of the address space for this paging depth. */
static uint64_t user_top(unsigned levels)
{
	return levels == 5 ? (1ull << 56) : (1ull << 47);
}

static struct cp_error *open_vas(struct cp_task_user *u,
				 const struct cp_task *t, struct cp_vas **ret)
{
	if (!t->mm || !t->pgd)
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "task %d has no user address space",
				       t->pid);
	uint64_t pa;
	struct cp_error *err = cp_ktranslate(u->p, t->pgd, &pa);
	if (err)
		return cp_error_wrap(err, "task %d: page tables at 0x%" PRIx64,
				     t->pid, t->pgd);
	return cp_vas_create(u->mem, pa & ~(uint64_t)(PAGE - 1), u->levels,
			     u->cache, ret);
}

/* Appends what is readable of [va, va + len) to out (capacity reserved). */
static void read_pages(struct cp_vas *vas, uint64_t va, size_t len,
		       struct cp_user_bytes *out)
{
	size_t done = 0;
	while (done < len) {
		uint64_t at = va + done;
		size_t chunk = PAGE - (size_t)(at & (PAGE - 1));
		if (chunk > len - done)
			chunk = len - done;
		struct cp_error *err =
			cp_vas_read(vas, at, out->data + out->len, chunk);
		if (err) {
			cp_error_destroy(err);
			out->incomplete = true;
			out->missing_va = at;
			break;
		}
		out->len += chunk;
		done += chunk;
	}
	out->data[out->len] = '\0';
}

/* Reads up to n areas back to back (stopping at the first gap). */
static struct cp_error *read_areas(struct cp_task_user *u,
				   const struct cp_task *t,
				   const uint64_t (*areas)[2], size_t n,
				   struct cp_user_bytes *ret)
{
	memset(ret, 0, sizeof(*ret));
	uint64_t top = user_top(u->levels), total = 0;
	for (size_t i = 0; i < n; i++) {
		if (areas[i][1] < areas[i][0] || areas[i][1] > top)
			return cp_error_create(CP_ERR_CORRUPT,
					       "task %d: user area 0x%" PRIx64
					       "-0x%" PRIx64 " is not in user "
					       "space", t->pid, areas[i][0],
					       areas[i][1]);
		total += areas[i][1] - areas[i][0];
	}
	size_t cap = total > CP_TASK_USER_MAX ? CP_TASK_USER_MAX
					      : (size_t)total;
	ret->truncated = total > CP_TASK_USER_MAX;
	if (!(ret->data = malloc(cap + 1)))
		return &cp_enomem;
	ret->data[0] = '\0';
	if (!cap)
		return NULL;
	struct cp_vas *vas;
	struct cp_error *err = open_vas(u, t, &vas);
	if (err) {
		cp_user_bytes_free(ret);
		return err;
	}
	for (size_t i = 0; i < n && !ret->incomplete && ret->len < cap; i++) {
		uint64_t want = areas[i][1] - areas[i][0];
		if (want > cap - ret->len)
			want = cap - ret->len;
		read_pages(vas, areas[i][0], (size_t)want, ret);
	}
	cp_vas_destroy(vas);
	return NULL;
}

struct cp_error *cp_task_user_read(struct cp_task_user *u,
				   const struct cp_task *t, uint64_t va,
				   size_t len, struct cp_user_bytes *ret)
{
	if (va + len < va)
		return cp_error_create(CP_ERR_USAGE, "user read wraps");
	const uint64_t area[1][2] = { { va, va + len } };
	return read_areas(u, t, area, 1, ret);
}

size_t cp_cmdline_length(const char *data, size_t arg_len, size_t total)
{
	if (arg_len == 0 || arg_len > total)
		return arg_len > total ? total : 0;
	if (data[arg_len - 1] == '\0')
		return arg_len;
	/* setproctitle(): get_mm_proctitle() reads one page from arg_start
	 * and returns it up to and including the first NUL. */
	size_t lim = total < PAGE ? total : PAGE;
	size_t n = strnlen(data, lim);
	return n < lim ? n + 1 : n;
}

struct cp_error *cp_task_cmdline(struct cp_task_user *u,
				 const struct cp_task *t,
				 struct cp_user_bytes *ret)
{
	uint64_t arg_start = t->arg_start, arg_end = t->arg_end;
	uint64_t env_start = t->env_start, env_end = t->env_end;
	memset(ret, 0, sizeof(*ret));
	if (!t->mm)
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "task %d has no user address space",
				       t->pid);
	if (arg_start >= arg_end) {
		ret->data = calloc(1, 1);
		return ret->data ? NULL : &cp_enomem;
	}
	/* The environment counts only where argv overflows into it. */
	if (env_start != arg_end || env_end < env_start)
		env_start = env_end = arg_end;
	const uint64_t areas[2][2] = { { arg_start, arg_end },
				       { env_start, env_end } };
	/* The environment is read only when needed: first argv alone. */
	struct cp_error *err = read_areas(u, t, areas, 1, ret);
	if (err)
		return err;
	bool overwritten = !ret->incomplete && !ret->truncated && ret->len &&
			   ret->data[ret->len - 1] != '\0';
	if (overwritten && env_end > env_start) {
		struct cp_user_bytes both;
		if ((err = read_areas(u, t, areas, 2, &both)))
			return err;
		cp_user_bytes_free(ret);
		*ret = both;
		size_t arg_len = (size_t)(arg_end - arg_start);
		if (arg_len > ret->len)
			arg_len = ret->len;
		ret->len = cp_cmdline_length(ret->data, arg_len, ret->len);
		ret->data[ret->len] = '\0';
		ret->truncated = false;	/* the proctitle rule bounds it */
	} else if (overwritten) {
		ret->len = cp_cmdline_length(ret->data, ret->len, ret->len);
		ret->data[ret->len] = '\0';
	}
	return NULL;
}

struct cp_error *cp_task_environ(struct cp_task_user *u,
				 const struct cp_task *t,
				 struct cp_user_bytes *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!t->mm)
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "task %d has no user address space",
				       t->pid);
	if (t->env_start >= t->env_end) {
		ret->data = calloc(1, 1);
		return ret->data ? NULL : &cp_enomem;
	}
	const uint64_t area[1][2] = { { t->env_start, t->env_end } };
	return read_areas(u, t, area, 1, ret);
}

/* ---------------------------------------------------------------- text */

char *cp_argv_escape(const char *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	if (len && data[len - 1] == '\0')
		len--;		/* the last argument's terminator */
	if (len > (SIZE_MAX - 1) / 4)
		return NULL;
	char *out = malloc(4 * len + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];
		if (c == '\0') {
			*o++ = ' ';	/* between arguments */
		} else if (c == '\\') {
			*o++ = '\\';
			*o++ = '\\';
		} else if (c == '\t') {
			*o++ = '\\';
			*o++ = 't';
		} else if (c == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else if (c == ' ' || c < 0x20 || c >= 0x7f) {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		} else {
			*o++ = (char)c;
		}
	}
	*o = '\0';
	return out;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t cp_argv_unescape(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\' || i + 1 == n) {
			out[o++] = s[i];
			continue;
		}
		char e = s[++i];
		if (e == 't') {
			out[o++] = '\t';
		} else if (e == 'n') {
			out[o++] = '\n';
		} else if (e == 'x' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
			   hexval(s[i + 2]) >= 0) {
			out[o++] = (char)(hexval(s[i + 1]) * 16 +
					  hexval(s[i + 2]));
			i += 2;
		} else {
			out[o++] = e;	/* "\\" and anything unknown */
		}
	}
	return o;
}

bool cp_env_next(struct cp_env_iter *it, const char **key, size_t *klen,
		 const char **val, size_t *vlen, bool *has_eq)
{
	while (it->pos < it->len && it->data[it->pos] == '\0')
		it->pos++;
	if (it->pos >= it->len)
		return false;
	const char *e = it->data + it->pos;
	size_t rest = it->len - it->pos;
	const char *nul = memchr(e, '\0', rest);
	size_t elen = nul ? (size_t)(nul - e) : rest;
	it->pos += elen + (nul ? 1 : 0);
	const char *eq = memchr(e, '=', elen);
	*key = e;
	if (eq) {
		*klen = (size_t)(eq - e);
		*val = eq + 1;
		*vlen = elen - *klen - 1;
	} else {
		*klen = elen;
		*val = e + elen;
		*vlen = 0;
	}
	*has_eq = eq != NULL;
	return true;
}
