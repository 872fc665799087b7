/*
 * btf.c - carving the vmlinux BTF blob out of guest RAM.
 *
 * A kernel built with CONFIG_DEBUG_INFO_BTF keeps its own type information
 * in the .BTF section of its read-only data (what /sys/kernel/btf/vmlinux
 * serves): a 24-byte header (magic 0xEB9F, version 1, flags 0, hdr_len 24,
 * then the offsets and lengths of the type and string sections, relative
 * to the end of the header) followed by both sections, 4-6 MiB in all.
 * The carver searches physical memory for the first 8 header bytes, which
 * are the same in every such kernel, checks the header, then has libbpf
 * parse the blob where it lies and checks every type id and name offset
 * itself (libbpf 1.1 does not), and accepts it only if it defines
 * task_struct.
 *
 * What real guests hold besides the live blob (seen on all lab kernels):
 * the kernel's copy of the 24-byte header inside its struct btf (slab
 * memory, followed by anything); the blob BPF programs and the kernel's
 * own BPF preload carry (a few hundred bytes, no task_struct); pages of
 * a user's copy of /sys/kernel/btf/vmlinux (page-aligned, correct first
 * page, the rest scattered); module BTF (split: its strings and type ids
 * continue its base's, so it neither parses standalone nor defines
 * task_struct). All of these fail validation. A guest can also plant a
 * complete forged blob; the exhaustive mode counts valid blobs that
 * differ, and can prefer the one nearest a trusted address.
 *
 * Not for: type queries (btf_field.c) or printing (btf_print.c).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/btf.h"
#include "mem/mem.h"
#include "mem/scan.h"
#include "util/cleanup.h"
#include "util/error.h"

/* The first 8 header bytes: magic, version 1, flags 0, hdr_len 24 (LE). */
static const uint8_t btf_head[8] = { 0x9f, 0xeb, 0x01, 0x00,
				     0x18, 0x00, 0x00, 0x00 };
#define BTF_HDR_LEN 24u
/* Bounds on work a hostile guest can cause by planting plausible blobs. */
#define MAX_PARSES 64

struct blob_header {
	uint32_t type_off, type_len, str_off, str_len;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/*
 * Checks the header at p (BTF_HDR_LEN bytes) and returns the blob's total
 * size, or 0 with *why set. Sections are relative to the end of the header
 * and must not overlap; the kernel and libbpf write types then strings.
 */
static uint32_t header_size(const uint8_t *p, const char **why)
{
	if (memcmp(p, btf_head, sizeof(btf_head)) != 0) {
		*why = "not a BTF v1 header with hdr_len 24";
		return 0;
	}
	struct blob_header h = { le32(p + 8), le32(p + 12), le32(p + 16),
				 le32(p + 20) };
	uint64_t type_end = (uint64_t)h.type_off + h.type_len;
	uint64_t str_end = (uint64_t)h.str_off + h.str_len;
	if (h.type_off % 4 || h.type_len % 4 || h.type_len < 12 ||
	    h.str_len < 2) {
		*why = "section sizes not plausible";
		return 0;
	}
	if (!(type_end <= h.str_off || str_end <= h.type_off)) {
		*why = "type and string sections overlap";
		return 0;
	}
	uint64_t end = BTF_HDR_LEN + (type_end > str_end ? type_end : str_end);
	if (end > CP_BTF_MAX_SIZE) {
		*why = "blob larger than 64 MiB";
		return 0;
	}
	return (uint32_t)end;
}

static bool name_ok(const struct btf *btf, uint32_t off)
{
	return btf__str_by_offset(btf, off) != NULL;
}

/* Checks the references one type makes; false if any is out of range. */
static bool type_ok(const struct btf *btf, const struct btf_type *t,
		    uint32_t cnt)
{
	if (!name_ok(btf, t->name_off))
		return false;
	uint16_t vlen = btf_vlen(t);
	switch (btf_kind(t)) {
	case BTF_KIND_INT: {
		uint32_t bits = btf_int_bits(t), off = btf_int_offset(t);
		return (t->size == 1 || t->size == 2 || t->size == 4 ||
			t->size == 8 || t->size == 16) &&
		       bits && off + bits <= t->size * 8;
	}
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_FUNC:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return t->type < cnt;
	case BTF_KIND_ARRAY:
		return btf_array(t)->type < cnt &&
		       btf_array(t)->index_type < cnt;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *m = btf_members(t);
		for (uint16_t i = 0; i < vlen; i++)
			if (m[i].type >= cnt || !name_ok(btf, m[i].name_off))
				return false;
		return true;
	}
	case BTF_KIND_ENUM: {
		const struct btf_enum *e = btf_enum(t);
		for (uint16_t i = 0; i < vlen; i++)
			if (!name_ok(btf, e[i].name_off))
				return false;
		return true;
	}
	case BTF_KIND_ENUM64: {
		const struct btf_enum64 *e = btf_enum64(t);
		for (uint16_t i = 0; i < vlen; i++)
			if (!name_ok(btf, e[i].name_off))
				return false;
		return true;
	}
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *p = btf_params(t);
		if (t->type >= cnt)
			return false;
		for (uint16_t i = 0; i < vlen; i++)
			if (p[i].type >= cnt || !name_ok(btf, p[i].name_off))
				return false;
		return true;
	}
	case BTF_KIND_DATASEC: {
		const struct btf_var_secinfo *v = btf_var_secinfos(t);
		for (uint16_t i = 0; i < vlen; i++)
			if (v[i].type >= cnt)
				return false;
		return true;
	}
	case BTF_KIND_FWD:
	case BTF_KIND_FLOAT:
		return true;
	default:
		return false;
	}
}

struct cp_error *cp_btf_check(const struct btf *btf, bool require_kernel)
{
	if (btf__base_btf(btf))
		return cp_error_create(CP_ERR_UNSUPPORTED,
				       "BTF: split BTF needs its base");
	uint32_t cnt = btf__type_cnt(btf);
	for (uint32_t id = 1; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (!t || !type_ok(btf, t, cnt))
			return cp_error_create(CP_ERR_CORRUPT,
					       "BTF: type %" PRIu32
					       " of %" PRIu32
					       " refers outside the blob",
					       id, cnt - 1);
	}
	if (require_kernel) {
		uint32_t id = cp_btf_find(btf, "task_struct", CP_BTF_STRUCT);
		if (!id || !btf_vlen(btf__type_by_id(btf, id)))
			return cp_error_create(CP_ERR_NOT_FOUND,
					       "BTF: no struct task_struct in "
					       "%" PRIu32 " types (module or "
					       "BPF program BTF?)",
					       cnt - 1);
	}
	return NULL;
}

/*
 * Walks the type section by record sizes, as libbpf will, and refuses
 * what libbpf would refuse there: an unknown kind, or a record running
 * past the section. Checked first so that libbpf, which warns on stderr
 * about such blobs, only ever sees well-formed ones.
 */
static bool types_walk(const uint8_t *types, uint32_t len)
{
	static const uint8_t per_vlen[BTF_KIND_MAX + 1] = {
		[BTF_KIND_STRUCT] = 12,	   [BTF_KIND_UNION] = 12,
		[BTF_KIND_ENUM] = 8,	   [BTF_KIND_ENUM64] = 12,
		[BTF_KIND_FUNC_PROTO] = 8, [BTF_KIND_DATASEC] = 12,
	};
	static const uint8_t extra[BTF_KIND_MAX + 1] = {
		[BTF_KIND_INT] = 4,
		[BTF_KIND_ARRAY] = 12,
		[BTF_KIND_VAR] = 4,
		[BTF_KIND_DECL_TAG] = 4,
	};
	for (uint64_t at = 0; at < len;) {
		if (len - at < 12)
			return false;
		uint32_t info = le32(types + at + 4);
		uint32_t kind = info >> 24 & 0x1f, vlen = info & 0xffff;
		if (kind == BTF_KIND_UNKN || kind > BTF_KIND_MAX)
			return false;
		at += 12 + extra[kind] + (uint64_t)per_vlen[kind] * vlen;
		if (at > len)
			return false;
	}
	return true;
}

/* Does a string table start like a split BTF's: "name\0name\0..."? */
static bool looks_split(const char *strs, uint32_t len)
{
	uint32_t i = 0;
	while (i < len && i < 128 && strs[i] &&
	       (isalnum((unsigned char)strs[i]) || strs[i] == '_' ||
		strs[i] == '.'))
		i++;
	return i > 0 && i < len && strs[i] == '\0' && strs[len - 1] == '\0';
}

struct cp_error *cp_btf_parse_blob(const void *data, size_t size,
				   bool require_kernel, struct btf **ret)
{
	const char *why = NULL;
	if (size < BTF_HDR_LEN)
		return cp_error_create(CP_ERR_FORMAT,
				       "BTF: %zu bytes, shorter than a header",
				       size);
	uint32_t need = header_size(data, &why);
	if (!need)
		return cp_error_create(CP_ERR_FORMAT, "BTF: %s", why);
	if (need > size)
		return cp_error_create(CP_ERR_FORMAT,
				       "BTF: header claims %" PRIu32
				       " bytes, %zu available",
				       need, size);
	const uint8_t *p = data;
	const char *strs = (const char *)p + BTF_HDR_LEN + le32(p + 16);
	uint32_t str_len = le32(p + 20);
	/* Base BTF's strings start with the empty string; a module's split
	 * BTF continues its base's string table, so starts with a name. */
	if (strs[0] != '\0')
		return looks_split(strs, str_len) ?
			       cp_error_create(
				       CP_ERR_UNSUPPORTED,
				       "BTF: strings start with a name: "
				       "module split BTF") :
			       cp_error_create(CP_ERR_CORRUPT,
					       "BTF: string table does not "
					       "start with \"\"");
	if (!types_walk(p + BTF_HDR_LEN + le32(p + 8), le32(p + 12)))
		return cp_error_create(CP_ERR_CORRUPT,
				       "BTF: type section malformed (unknown "
				       "kind or record past its end)");
	struct btf *btf = btf__new(data, need);
	if (!btf)
		return cp_error_create(CP_ERR_CORRUPT,
				       "BTF: libbpf rejected %" PRIu32
				       " bytes: %s",
				       need, strerror(errno));
	struct cp_error *err = cp_btf_check(btf, require_kernel);
	if (err) {
		btf__free(btf);
		return err;
	}
	*ret = btf;
	return NULL;
}

struct cp_error *cp_btf_load_file(const char *path, bool require_kernel,
				  struct btf **ret)
{
	struct btf *btf = btf__parse(path, NULL);
	if (!btf)
		return cp_error_os(errno, "BTF: %s", path);
	struct cp_error *err = cp_btf_check(btf, require_kernel);
	if (err) {
		btf__free(btf);
		return cp_error_wrap(err, "%s", path);
	}
	*ret = btf;
	return NULL;
}

/* ------------------------------------------------------------ the carver */

struct carve_state {
	struct cp_mem *mem;
	struct cp_btf_carve_opts opts;
	struct cp_btf_info *info;
	struct btf *btf;	/* the chosen blob, parsed */
	uint8_t *chosen;	/* its bytes, kept for comparing copies */
	uint64_t next_paddr;	/* matches below this were already seen */
	uint64_t seen_end;	/* scanned bytes end here (window overlap) */
	unsigned parses;
	struct cp_error *fatal;	/* out of memory: ends the scan */
};

static uint64_t distance(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/*
 * Gets the size bytes of a candidate: from the window when it holds them,
 * else zero-copy from the source, else a copy (*copy, freed by caller).
 */
static const uint8_t *candidate_bytes(struct carve_state *st, uint64_t paddr,
				      const uint8_t *win, size_t win_left,
				      uint32_t size, uint8_t **copy)
{
	if (win_left >= size)
		return win;
	const uint8_t *p = cp_mem_map(st->mem, paddr, size);
	if (p)
		return p;
	*copy = malloc(size);
	if (!*copy) {
		st->fatal = &cp_enomem;
		return NULL;
	}
	struct cp_error *err = cp_mem_read(st->mem, paddr, *copy, size);
	if (err) {
		/* A blob running into a hole is not the kernel's. */
		cp_error_destroy(err);
		st->info->unreadable++;
		return NULL;
	}
	return *copy;
}

/* Validates one candidate; returns true if the scan should stop. */
static bool consider(struct carve_state *st, uint64_t paddr,
		     const uint8_t *win, size_t win_left)
{
	uint8_t head[BTF_HDR_LEN];
	const char *why;
	st->info->candidates++;
	if (win_left >= BTF_HDR_LEN) {
		memcpy(head, win, BTF_HDR_LEN);
	} else {
		struct cp_error *err =
			cp_mem_read(st->mem, paddr, head, sizeof(head));
		if (err) {
			cp_error_destroy(err);
			st->info->rejected++;
			st->info->unreadable++;
			return false;
		}
	}
	uint32_t size = header_size(head, &why);
	if (!size) {
		st->info->rejected++;
		st->info->implausible++;
		return false;
	}
	_cleanup_free_ uint8_t *copy = NULL;
	const uint8_t *blob =
		candidate_bytes(st, paddr, win, win_left, size, &copy);
	if (!blob) {
		st->info->rejected++;
		return st->fatal != NULL;
	}
	/* A byte-identical copy of the chosen blob needs no parse. */
	if (st->btf && size == st->info->size &&
	    memcmp(blob, st->chosen, size) == 0) {
		st->info->copies++;
		return false;
	}
	if (st->parses >= MAX_PARSES) {
		st->info->rejected++;
		st->info->corrupt++;
		return false;
	}
	st->parses++;
	struct btf *btf;
	struct cp_error *err = cp_btf_parse_blob(blob, size, true, &btf);
	if (err) {
		enum cp_error_code code = cp_error_code(err);
		cp_error_destroy(err);
		st->info->rejected++;
		if (code == CP_ERR_NOMEM) {
			st->fatal = &cp_enomem;
			return true;
		}
		if (code == CP_ERR_UNSUPPORTED)
			st->info->split++;
		else if (code == CP_ERR_NOT_FOUND)
			st->info->not_kernel++;
		else
			st->info->corrupt++;
		return false;
	}
	if (st->btf) {
		st->info->alternatives++;
		if (!st->opts.near_paddr ||
		    distance(paddr, st->opts.near_paddr) >=
			    distance(st->info->paddr, st->opts.near_paddr)) {
			btf__free(btf);
			return false;
		}
		btf__free(st->btf);
		free(st->chosen);
		st->btf = NULL;
		st->chosen = NULL;
	}
	st->chosen = malloc(size);
	if (!st->chosen) {
		btf__free(btf);
		st->fatal = &cp_enomem;
		return true;
	}
	memcpy(st->chosen, blob, size);
	st->btf = btf;
	st->info->paddr = paddr;
	st->info->size = size;
	st->info->ntypes = btf__type_cnt(btf) - 1;
	return !st->opts.exhaustive;
}

static int carve_window(void *arg, uint64_t paddr, const uint8_t *buf,
			size_t len)
{
	struct carve_state *st = arg;
	const uint8_t *p = buf, *end = buf + len;
	/* Count each byte once although windows overlap. */
	uint64_t from = paddr > st->seen_end ? paddr : st->seen_end;
	if (paddr + len > from)
		st->info->scanned += paddr + len - from;
	if (paddr + len > st->seen_end)
		st->seen_end = paddr + len;
	/* memchr for the first byte, then compare: glibc's memmem runs at
	 * 0.3 GB/s on guest RAM here, memchr at 10 GB/s, and 0x9f starts
	 * only ~0.05% of positions. */
	while (p < end && (p = memchr(p, btf_head[0], (size_t)(end - p)))) {
		uint64_t at = paddr + (uint64_t)(p - buf);
		if ((size_t)(end - p) >= sizeof(btf_head) &&
		    memcmp(p, btf_head, sizeof(btf_head)) == 0 &&
		    at >= st->next_paddr) {
			st->next_paddr = at + 1;
			if (consider(st, at, p, (size_t)(end - p))) {
				/* Stopped early: bytes past the blob were
				 * not searched. */
				uint64_t stop = at + st->info->size;
				if (stop < paddr + len)
					st->info->scanned -= paddr + len - stop;
				return 1;
			}
		}
		p++;
	}
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct cp_error *cp_btf_carve_opts(struct cp_mem *mem,
				   const struct cp_btf_carve_opts *opts,
				   struct btf **ret, struct cp_btf_info *info)
{
	struct cp_btf_info local;
	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	struct carve_state st = { .mem = mem, .info = info };
	if (opts)
		st.opts = *opts;
	double t0 = now_ms();
	struct cp_error *err = cp_mem_scan(mem, BTF_HDR_LEN, carve_window,
					   &st, NULL);
	info->ms = now_ms() - t0;
	free(st.chosen);
	if (!err && st.fatal)
		err = st.fatal;
	if (err) {
		btf__free(st.btf);
		return cp_error_wrap(err, "BTF: carve after %" PRIu64
					  " MiB scanned",
				     info->scanned >> 20);
	}
	if (!st.btf)
		return cp_error_create(
			CP_ERR_NOT_FOUND,
			"BTF: no vmlinux BTF in %" PRIu64 " MiB scanned: %u "
			"candidate headers (%u implausible, %u unreadable, %u "
			"split/module, %u corrupt, %u without task_struct)",
			info->scanned >> 20, info->candidates,
			info->implausible, info->unreadable, info->split,
			info->corrupt, info->not_kernel);
	*ret = st.btf;
	return NULL;
}

struct cp_error *cp_btf_carve(struct cp_mem *mem, struct btf **ret,
			      struct cp_btf_info *info)
{
	return cp_btf_carve_opts(mem, NULL, ret, info);
}
