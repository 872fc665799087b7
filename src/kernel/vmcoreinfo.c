/*
 * vmcoreinfo.c - the kernel's own description of itself for crash dumps.
 *
 * Since 2.6.24 a kernel keeps a page of "KEY=value\n" lines (vmcoreinfo_data,
 * copied into the vmcoreinfo_note ELF note) for kdump: OSRELEASE,
 * BUILD-ID, PAGESIZE, KERNELOFFSET (the KASLR shift), NUMBER(phys_base),
 * SYMBOL(name)=address, OFFSET(struct.member), SIZE(struct). It is the
 * cheapest first step of discovery. An ELF core may carry it as a note; in a
 * raw image or a live guest it is carved: the kernel allocates it as a whole
 * zeroed page, so the text starts on a page boundary with "OSRELEASE=".
 * The format strings of the code that writes it ("OSRELEASE=%s") also sit in
 * RAM; they fail validation. A hostile guest can forge or erase this page,
 * so later discovery steps check what it says, and absence is not fatal.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/vmcoreinfo.h"
#include "mem/mem.h"
#include "mem/scan.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/vector.h"

#define VMCOREINFO_MAX_TEXT 4096	/* VMCOREINFO_BYTES, one page */
#define PAGE_SIZE 4096

struct cp_vmcoreinfo_entry {
	const char *key;
	const char *value;
};

CP_DEFINE_VECTOR(cp_vmcoreinfo_entry_vector, struct cp_vmcoreinfo_entry)

struct cp_vmcoreinfo {
	char *text;		/* the raw text, NUL-terminated */
	char *storage;		/* the text cut into keys and values */
	struct cp_vmcoreinfo_entry_vector entries;
	uint64_t paddr;		/* where it was found; 0 for a note */
	const char *origin;	/* "elf-note" or "ram" */
};

static bool is_key_char(int c)
{
	return isalnum(c) || c == '_' || c == '(' || c == ')' || c == '.' ||
	       c == '-';
}

/*
 * Length of well-formed vmcoreinfo text at p (at most max bytes): lines of
 * KEY=printable value, ending at a NUL or at the first line that is not of
 * that form. Returns 0 if fewer than min_lines lines qualify.
 */
static size_t text_extent(const char *p, size_t max, unsigned min_lines,
			  unsigned *lines_ret)
{
	size_t i = 0, good = 0;
	unsigned lines = 0;
	while (i < max && p[i]) {
		size_t start = i, eq = 0;
		while (i < max && is_key_char((unsigned char)p[i]))
			i++;
		if (i == start || i >= max || p[i] != '=')
			break;
		eq = i++;
		while (i < max && p[i] != '\n' && isprint((unsigned char)p[i]))
			i++;
		if (i >= max || p[i] != '\n' || i == eq + 1)
			break;
		good = ++i;
		lines++;
	}
	if (lines_ret)
		*lines_ret = lines;
	return lines >= min_lines ? good : 0;
}

static struct cp_error *parse(const char *text, size_t len,
			      struct cp_vmcoreinfo **ret)
{
	struct cp_vmcoreinfo *vi = calloc(1, sizeof(*vi));
	if (!vi)
		return &cp_enomem;
	cp_vmcoreinfo_entry_vector_init(&vi->entries);
	vi->text = strndup(text, len);
	vi->storage = strndup(text, len);
	if (!vi->text || !vi->storage) {
		cp_vmcoreinfo_destroy(vi);
		return &cp_enomem;
	}
	for (char *line = vi->storage, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		struct cp_vmcoreinfo_entry e = { line, eq + 1 };
		if (!cp_vmcoreinfo_entry_vector_append(&vi->entries, &e)) {
			cp_vmcoreinfo_destroy(vi);
			return &cp_enomem;
		}
	}
	if (!cp_vmcoreinfo_get(vi, "OSRELEASE")) {
		cp_vmcoreinfo_destroy(vi);
		return cp_error_create(CP_ERR_CORRUPT,
				       "VMCOREINFO has no OSRELEASE");
	}
	*ret = vi;
	return NULL;
}

struct find_state {
	const char *text;	/* points into the scanned window */
	size_t len;
	uint64_t paddr;
	char *copy;		/* for unmapped sources: the window goes away */
	bool anywhere;		/* second pass: not only at page starts */
};

static const char key[] = "OSRELEASE=";

static int check_candidate(struct find_state *st, uint64_t paddr,
			   const uint8_t *p, size_t avail)
{
	size_t max = avail < VMCOREINFO_MAX_TEXT ? avail : VMCOREINFO_MAX_TEXT;
	/* Real text has OSRELEASE, BUILD-ID, PAGESIZE, SYMBOL(...)...: a
	 * format string or a stray mention does not reach 4 lines. */
	size_t len = text_extent((const char *)p, max, 4, NULL);
	if (!len)
		return 0;
	st->copy = strndup((const char *)p, len);
	st->len = len;
	st->paddr = paddr;
	return 1;
}

static int find_in_window(void *arg, uint64_t paddr, const uint8_t *buf,
			  size_t len)
{
	struct find_state *st = arg;
	const size_t klen = sizeof(key) - 1;
	if (!st->anywhere) {
		/* Windows start page-aligned (regions do, in every source we
		 * read), so page starts are offsets that are multiples of 4K
		 * from an aligned base. */
		size_t first = (size_t)((PAGE_SIZE - (paddr % PAGE_SIZE)) %
					PAGE_SIZE);
		for (size_t off = first; off + klen <= len; off += PAGE_SIZE) {
			if (memcmp(buf + off, key, klen) == 0 &&
			    check_candidate(st, paddr + off, buf + off,
					    len - off))
				return 1;
		}
		return 0;
	}
	const uint8_t *p = buf, *end = buf + len;
	while ((p = cp_find(p, (size_t)(end - p), key, klen))) {
		if (check_candidate(st, paddr + (uint64_t)(p - buf), p,
				    (size_t)(end - p)))
			return 1;
		p += klen;
	}
	return 0;
}

struct cp_error *cp_vmcoreinfo_find(struct cp_mem *mem,
				    struct cp_vmcoreinfo **ret,
				    uint64_t *scanned)
{
	if (scanned)
		*scanned = 0;
	if (mem->vmcoreinfo_note) {
		const char *t = mem->vmcoreinfo_note;
		size_t len = text_extent(t, strlen(t), 1, NULL);
		if (len) {
			struct cp_error *err = parse(t, len, ret);
			if (!err) {
				(*ret)->origin = "elf-note";
				return NULL;
			}
			cp_error_destroy(err);
		}
	}
	struct find_state st = { 0 };
	uint64_t total = 0;
	for (int pass = 0; pass < 2 && !st.len; pass++) {
		uint64_t n = 0;
		st.anywhere = pass == 1;
		struct cp_error *err = cp_mem_scan(mem, VMCOREINFO_MAX_TEXT,
						   find_in_window, &st, &n);
		/* A pass that found the text searched up to it, whatever
		 * window size the source scanned in. */
		total += st.len ? cp_mem_bytes_below(mem, st.paddr) + st.len : n;
		if (err)
			return cp_error_wrap(err, "vmcoreinfo: scan");
	}
	if (scanned)
		*scanned = total;
	if (st.len && !st.copy)
		return &cp_enomem;
	if (!st.copy)
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "vmcoreinfo: no OSRELEASE= text in "
				       "%" PRIu64 " MiB scanned (page starts, "
				       "then every byte)",
				       cp_mem_size(mem) >> 20);
	struct cp_error *err = parse(st.copy, st.len, ret);
	free(st.copy);
	if (err)
		return err;
	(*ret)->origin = "ram";
	(*ret)->paddr = st.paddr;
	return NULL;
}

struct cp_error *cp_vmcoreinfo_parse_text(const char *text, size_t len,
					  struct cp_vmcoreinfo **ret)
{
	size_t n = text_extent(text, len, 1, NULL);
	if (!n)
		return cp_error_create(CP_ERR_FORMAT,
				       "vmcoreinfo: no KEY=value lines");
	struct cp_error *err = parse(text, n, ret);
	if (!err)
		(*ret)->origin = "text";
	return err;
}

void cp_vmcoreinfo_destroy(struct cp_vmcoreinfo *vi)
{
	if (!vi)
		return;
	free(vi->text);
	free(vi->storage);
	cp_vmcoreinfo_entry_vector_deinit(&vi->entries);
	free(vi);
}

const char *cp_vmcoreinfo_get(const struct cp_vmcoreinfo *vi, const char *k)
{
	/* The kernel may append a key twice (CRASHTIME); the last one wins. */
	for (size_t i = vi->entries.size; i-- > 0;)
		if (strcmp(vi->entries.data[i].key, k) == 0)
			return vi->entries.data[i].value;
	return NULL;
}

static bool parse_u64(const char *s, int base, uint64_t *ret)
{
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || *end)
		return false;
	*ret = v;
	return true;
}

bool cp_vmcoreinfo_symbol(const struct cp_vmcoreinfo *vi, const char *name,
			  uint64_t *addr)
{
	char k[256];
	if ((size_t)snprintf(k, sizeof(k), "SYMBOL(%s)", name) >= sizeof(k))
		return false;
	return parse_u64(cp_vmcoreinfo_get(vi, k), 16, addr);
}

bool cp_vmcoreinfo_number(const struct cp_vmcoreinfo *vi, const char *name,
			  int64_t *value)
{
	char k[256];
	if ((size_t)snprintf(k, sizeof(k), "NUMBER(%s)", name) >= sizeof(k))
		return false;
	const char *s = cp_vmcoreinfo_get(vi, k);
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*value = v;
	return true;
}

bool cp_vmcoreinfo_hex(const struct cp_vmcoreinfo *vi, const char *k,
		       uint64_t *value)
{
	return parse_u64(cp_vmcoreinfo_get(vi, k), 16, value);
}

const char *cp_vmcoreinfo_text(const struct cp_vmcoreinfo *vi)
{
	return vi->text;
}

uint64_t cp_vmcoreinfo_paddr(const struct cp_vmcoreinfo *vi)
{
	return vi->paddr;
}

const char *cp_vmcoreinfo_origin(const struct cp_vmcoreinfo *vi)
{
	return vi->origin;
}
