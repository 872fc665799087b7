/*
 * profile_cache.c - profiles on disk, so a re-attach skips the carving.
 *
 * A kernel build is named by VMCOREINFO's BUILD-ID and release; its types
 * and symbols do not change between boots, only the KASLR shift does. The
 * cache stores the BTF blob and the symbol table with link-time addresses
 * (runtime minus the shift, for addresses in the kernel image; absolute and
 * per-CPU symbols as they are), and re-applies the new boot's shift on
 * load. A hit is then confirmed against the guest: linux_banner at the
 * shifted address must read the cached banner, or the hit is dropped and
 * discovery carves as if cold. The guest cannot poison the cache either:
 * only profiles whose kaslr step validated are written.
 *
 * File: "CPPROF\0" + version byte, then length-prefixed fields (below),
 * then a CRC-32 of everything before it. Files are written to a temporary
 * name and renamed, so a reader never sees half a profile. A damaged or
 * foreign file is a miss, never an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "kernel/profile.h"
#include "util/cleanup.h"
#include "util/error.h"

#define CACHE_MAGIC "CPPROF\0\1"
#define CACHE_MAX_SYMS (1u << 22)
#define CACHE_MAX_STRING (1u << 16)
#define CACHE_MAX_BTF (64u << 20)
#define CACHE_MAX_ARENA (256u << 20)

/* A symbol in the file: link-time address, type, name offset. */
struct cached_sym {
	uint64_t addr;
	uint32_t name_off;
	uint8_t type;
	uint8_t relocated;	/* address moves with KASLR */
	uint16_t pad;
};

_Static_assert(sizeof(struct cached_sym) == 16, "packed symbol record");

/* --------------------------------------------------------------- paths */

static char *cache_dir(const struct cp_profile *p)
{
	const char *env;
	if (p->opts.cache_dir)
		return strdup(p->opts.cache_dir);
	if ((env = getenv("CLOUDPROBE_CACHE")) && *env)
		return strdup(env);
	if ((env = getenv("XDG_CACHE_HOME")) && *env)
		return cp_profile_format("%s/cloudprobe/profiles", env);
	if ((env = getenv("HOME")) && *env)
		return cp_profile_format("%s/.cache/cloudprobe/profiles", env);
	return NULL;
}

/* RELEASE-BUILDID.cpprof, with anything odd in either replaced. */
static char *cache_path(const struct cp_profile *p)
{
	_cleanup_free_ char *dir = cache_dir(p);
	if (!dir || !p->release || !p->build_id)
		return NULL;
	char *path = cp_profile_format("%s/%s-%s.cpprof", dir, p->release,
				       p->build_id);
	if (!path)
		return NULL;
	for (char *c = path + strlen(dir) + 1; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' ||
		      *c == '_' || *c == '+'))
			*c = '_';
	return path;
}

static int mkdir_p(char *dir)
{
	for (char *s = dir + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		int r = mkdir(dir, 0755);
		*s = '/';
		if (r < 0 && errno != EEXIST)
			return -1;
	}
	return mkdir(dir, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* ---------------------------------------------------------- the writer */

struct writer {
	FILE *f;
	uLong crc;
	bool failed;
};

static void put(struct writer *w, const void *data, size_t len)
{
	if (w->failed || fwrite(data, 1, len, w->f) != len) {
		w->failed = true;
		return;
	}
	w->crc = crc32(w->crc, data, (uInt)len);
}

static void put_u32(struct writer *w, uint32_t v)
{
	put(w, &v, sizeof(v));
}

static void put_u64(struct writer *w, uint64_t v)
{
	put(w, &v, sizeof(v));
}

static void put_str(struct writer *w, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	put_u32(w, (uint32_t)n);
	put(w, s, n);
}

static bool is_relocated(uint64_t addr)
{
	return addr >= CP_START_KERNEL_MAP;
}

struct cp_error *cp_profile_cache_save(struct cp_profile *p, char **detail)
{
	if (p->opts.no_cache || p->from_cache)
		return NULL;
	if (!p->has_layout || !p->btf || !p->ksyms || !p->banner)
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "cache: not saved (profile incomplete "
				       "or unvalidated)");
	_cleanup_free_ char *path = cache_path(p);
	if (!path)
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "cache: not saved (no BUILD-ID or no "
				       "cache directory)");
	_cleanup_free_ char *dir = strdup(path);
	if (!dir)
		return &cp_enomem;
	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir) < 0)
		return cp_error_os(errno, "cache: mkdir %s", dir);
	_cleanup_free_ char *tmp = cp_profile_format("%s.%d.tmp", path,
						     (int)getpid());
	if (!tmp)
		return &cp_enomem;
	struct writer w = { .f = fopen(tmp, "wbx"), .crc = crc32(0, NULL, 0) };
	if (!w.f)
		return cp_error_os(errno, "cache: create %s", tmp);

	uint32_t btf_size;
	const void *btf_data = btf__raw_data(p->btf, &btf_size);
	size_t n = cp_kallsyms_count(p->ksyms), arena = 0;
	put(&w, CACHE_MAGIC, 8);
	put_str(&w, p->release);
	put_str(&w, p->build_id);
	put_str(&w, p->banner);
	put_u64(&w, p->layout.kaslr_virt);
	put_u32(&w, btf_size);
	put(&w, btf_data, btf_size);
	put_u32(&w, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		struct cp_ksym k;
		cp_kallsyms_get(p->ksyms, i, &k);
		struct cached_sym cs = {
			.addr = is_relocated(k.addr) ?
					k.addr - p->layout.kaslr_virt :
					k.addr,
			.name_off = (uint32_t)arena,
			.type = (uint8_t)k.type,
			.relocated = is_relocated(k.addr),
		};
		put(&w, &cs, sizeof(cs));
		arena += strlen(k.name) + 1;
	}
	put_u32(&w, (uint32_t)arena);
	for (size_t i = 0; i < n; i++) {
		struct cp_ksym k;
		cp_kallsyms_get(p->ksyms, i, &k);
		put(&w, k.name, strlen(k.name) + 1);
	}
	uint32_t crc = (uint32_t)w.crc;
	put(&w, &crc, sizeof(crc));
	if (fclose(w.f) != 0 || w.failed) {
		unlink(tmp);
		return cp_error_create(CP_ERR_OS, "cache: write %s failed", tmp);
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return cp_error_os(e, "cache: rename to %s", path);
	}
	*detail = cp_profile_format("saved %s", path);
	return NULL;
}

/* ---------------------------------------------------------- the reader */

struct reader {
	const uint8_t *p, *end;
	bool bad;
};

static const void *take(struct reader *r, size_t len)
{
	if (r->bad || (size_t)(r->end - r->p) < len) {
		r->bad = true;
		return NULL;
	}
	const void *at = r->p;
	r->p += len;
	return at;
}

static uint32_t take_u32(struct reader *r)
{
	uint32_t v = 0;
	const void *at = take(r, sizeof(v));
	if (at)
		memcpy(&v, at, sizeof(v));
	return v;
}

static uint64_t take_u64(struct reader *r)
{
	uint64_t v = 0;
	const void *at = take(r, sizeof(v));
	if (at)
		memcpy(&v, at, sizeof(v));
	return v;
}

/* A length-prefixed string as a malloc'd C string (NULL if bad). */
static char *take_str(struct reader *r)
{
	uint32_t n = take_u32(r);
	if (n > CACHE_MAX_STRING) {
		r->bad = true;
		return NULL;
	}
	const char *s = take(r, n);
	return s && !memchr(s, '\0', n) ? strndup(s, n) : NULL;
}

/*
 * Maps the whole file read-only; NULL (a miss) if absent or unreadable.
 * A mapping, not a copy: the BTF inside is parsed in place, and a warm
 * attach touches no more memory than it uses.
 */
static uint8_t *map_file(const char *path, size_t *size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < 12 || (uint64_t)st.st_size > (512u << 20))
		return NULL;
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
			 fd, 0);
	if (map == MAP_FAILED)
		return NULL;
	*size = (size_t)st.st_size;
	return map;
}

/*
 * Parses a cache file into p (types and symbols, shifted by kaslr_virt).
 * Returns a reason string for a miss, NULL on success.
 */
static const char *parse_cache(struct cp_profile *p, const uint8_t *buf,
			       size_t size, uint64_t kaslr_virt)
{
	uint32_t crc;
	memcpy(&crc, buf + size - 4, 4);
	if (memcmp(buf, CACHE_MAGIC, 8) != 0)
		return "not a cloudprobe profile";
	if ((uint32_t)crc32(crc32(0, NULL, 0), buf, (uInt)(size - 4)) != crc)
		return "checksum mismatch";
	struct reader r = { buf + 8, buf + size - 4, false };
	_cleanup_free_ char *release = take_str(&r);
	_cleanup_free_ char *build_id = take_str(&r);
	_cleanup_free_ char *banner = take_str(&r);
	(void)take_u64(&r);	/* the shift at save time; informational */
	uint32_t btf_size = take_u32(&r);
	const void *btf_data =
		btf_size <= CACHE_MAX_BTF ? take(&r, btf_size) : NULL;
	uint32_t n = take_u32(&r);
	const uint8_t *syms = n <= CACHE_MAX_SYMS ?
				      take(&r, (size_t)n * sizeof(struct cached_sym)) :
				      NULL;
	uint32_t arena_size = take_u32(&r);
	const char *arena = arena_size <= CACHE_MAX_ARENA ?
				    take(&r, arena_size) : NULL;
	if (r.bad || !release || !build_id || !banner || !btf_data || !syms ||
	    !arena || r.p != r.end || (arena_size && arena[arena_size - 1]))
		return "malformed";
	if (strcmp(release, p->release) || strcmp(build_id, p->build_id))
		return "release or build id differ";

	struct cp_ksym *list = calloc(n ? n : 1, sizeof(*list));
	if (!list)
		return "out of memory";
	for (uint32_t i = 0; i < n; i++) {
		struct cached_sym cs;
		memcpy(&cs, syms + (size_t)i * sizeof(cs), sizeof(cs));
		if (cs.name_off >= arena_size) {
			free(list);
			return "malformed symbol";
		}
		list[i].name = arena + cs.name_off;
		list[i].type = (char)cs.type;
		list[i].addr = cs.relocated ? cs.addr + kaslr_virt : cs.addr;
	}
	struct cp_error *err = cp_kallsyms_from_list(list, n, "cache",
						     &p->ksyms);
	free(list);
	if (err) {
		cp_error_destroy(err);
		return "symbol table rejected";
	}
	/* The CRC covers the blob, which was fully validated before it was
	 * saved: parse it without re-running the checks (a warm attach is
	 * a hot path), but still demand a kernel's types. */
	p->btf = btf__new(btf_data, btf_size);
	if (!p->btf || !cp_btf_find(p->btf, "task_struct", CP_BTF_STRUCT)) {
		btf__free(p->btf);
		p->btf = NULL;
		return "types rejected";
	}
	err = cp_btf_index_new(p->btf, &p->btf_index);
	if (err) {
		cp_error_destroy(err);
		return "types rejected";
	}
	p->btf_info.size = btf_size;
	p->btf_info.ntypes = btf__type_cnt(p->btf) - 1;
	/* Where the blob is in this boot (physical KASLR moves it). */
	uint64_t start;
	if (cp_kallsyms_address(p->ksyms, "__start_BTF", &start))
		cp_profile_image_pa(p, start, &p->btf_info.paddr);
	p->banner = cp_steal_ptr(&banner);
	return NULL;
}

/* Drops what a rejected hit loaded, so discovery carves from scratch. */
static void drop_hit(struct cp_profile *p)
{
	cp_kallsyms_destroy(p->ksyms);
	cp_btf_index_destroy(p->btf_index);
	btf__free(p->btf);
	free(p->banner);
	p->ksyms = NULL;
	p->btf_index = NULL;
	p->btf = NULL;
	p->banner = NULL;
	memset(&p->btf_info, 0, sizeof(p->btf_info));
}

struct cp_error *cp_profile_cache_load(struct cp_profile *p, bool *hit,
				       char **detail)
{
	*hit = false;
	uint64_t kaslr_virt;
	if (p->opts.no_cache)
		return cp_error_create(CP_ERR_NOT_FOUND, "cache: disabled");
	if (!p->vmcoreinfo || !p->build_id ||
	    !cp_vmcoreinfo_hex(p->vmcoreinfo, "KERNELOFFSET", &kaslr_virt) ||
	    !p->has_phys_base)
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "cache: needs VMCOREINFO (BUILD-ID, "
				       "KERNELOFFSET, phys_base)");
	_cleanup_free_ char *path = cache_path(p);
	size_t size = 0;
	uint8_t *buf = path ? map_file(path, &size) : NULL;
	if (!buf)
		return cp_error_create(CP_ERR_NOT_FOUND, "cache: miss (%s)",
				       path ? path : "no cache directory");
	const char *why = parse_cache(p, buf, size, kaslr_virt);
	/* Everything kept was copied out (libbpf copies the BTF). */
	munmap(buf, size);
	if (why) {
		drop_hit(p);
		return cp_error_create(CP_ERR_NOT_FOUND, "cache: %s: %s", path,
				       why);
	}
	/* Confirm against this guest: the banner where it should be. */
	uint64_t va, pa;
	char head[512];
	size_t blen = strlen(p->banner);
	bool same = cp_kallsyms_address(p->ksyms, "linux_banner", &va) &&
		    cp_profile_image_pa(p, va, &pa) && blen < sizeof(head);
	if (same) {
		struct cp_error *err = cp_mem_read(p->mem, pa, head, blen + 1);
		same = !err && memcmp(head, p->banner, blen) == 0 &&
		       head[blen] == '\n';
		cp_error_destroy(err);
	}
	if (!same) {
		drop_hit(p);
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "cache: %s does not match this guest's "
				       "linux_banner", path);
	}
	free(p->types_origin);
	if (!(p->types_origin = strdup("the cache")))
		return &cp_enomem;
	p->from_cache = true;
	*hit = true;
	*detail = cp_profile_format("hit %s", path);
	return NULL;
}

struct cp_error *cp_step_cache(struct cp_profile *p, uint64_t *scanned,
			       char **detail)
{
	(void)scanned;
	bool hit;
	if (p->btf) {
		*detail = cp_profile_format("skipped: types from %s",
					    p->types_origin);
		return NULL;
	}
	struct cp_error *err = cp_profile_cache_load(p, &hit, detail);
	/* A miss is the normal cold attach, not a failure: say why. */
	if (err && cp_error_code(err) == CP_ERR_NOT_FOUND) {
		*detail = strdup(cp_error_message(err));
		cp_error_destroy(err);
		return *detail ? NULL : &cp_enomem;
	}
	return err;
}

struct cp_error *cp_step_save_cache(struct cp_profile *p, uint64_t *scanned,
				    char **detail)
{
	(void)scanned;
	if (p->from_cache || p->file_ksyms || p->opts.isf_path ||
	    p->opts.btf_path) {
		*detail = strdup(p->from_cache ?
					 "skipped: profile came from the cache" :
					 "skipped: types came from files");
		return *detail ? NULL : &cp_enomem;
	}
	return cp_profile_cache_save(p, detail);
}
