/*
 * qemu_layout.c - from QEMU's and /proc's text to a guest RAM layout.
 *
 * Pure parsers (no I/O), so they can be tested on captured text and
 * fuzzed: `info mtree -f`, `gpa2hva`, /proc/PID/maps and smaps, QEMU's
 * command line, and QEMU's rule for splitting RAM around the PCI hole.
 * qemu.c decides which to use and does the reading.
 *
 * The text comes from QEMU and the host kernel, not from the guest, but a
 * parser still bounds what it keeps and never trusts a number it did not
 * check (ranges that wrap, sizes that overflow).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mem/qemu.h"
#include "util/cleanup.h"
#include "util/error.h"

#define MAX_RANGES 4096		/* RAM ranges in one flat view */
#define MAX_MAPPINGS (1u << 20)	/* lines of /proc/PID/maps */
#define GiB (1ull << 30)
#define MiB (1ull << 20)

/* The next line of text: [*line, *len) and the position after it. */
static const char *next_line(const char *p, const char **line, size_t *len)
{
	if (!p || !*p)
		return NULL;
	const char *nl = strchr(p, '\n');
	*line = p;
	*len = nl ? (size_t)(nl - p) : strlen(p);
	const char *after = nl ? nl + 1 : p + *len;
	if (*len && p[*len - 1] == '\r')	/* the monitor says "\r\n" */
		(*len)--;
	return after;
}

/* Parses up to 16 hex digits at p; NULL if there are none. */
static const char *parse_hex(const char *p, const char *end, uint64_t *ret)
{
	uint64_t v = 0;
	const char *start = p;
	while (p < end && p - start < 16) {
		char c = *p;
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			break;
		v = v << 4 | d;
		p++;
	}
	if (p == start)
		return NULL;
	*ret = v;
	return p;
}

static bool starts_with(const char *line, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && memcmp(line, prefix, n) == 0;
}

/* "  START-END (prio N, TYPE): NAME[ @OFFSET][ ...]" -> a range. */
static bool parse_flat_range(const char *line, size_t len,
			     struct cp_qemu_ram *r, bool *io)
{
	const char *end = line + len, *p = line;
	while (p < end && *p == ' ')
		p++;
	uint64_t start, last;
	if (!(p = parse_hex(p, end, &start)) || p >= end || *p++ != '-' ||
	    !(p = parse_hex(p, end, &last)))
		return false;
	if (last < start || last - start == UINT64_MAX)
		return false;
	const char *colon = memchr(p, ':', (size_t)(end - p));
	const char *paren = memchr(p, '(', (size_t)(end - p));
	if (!colon || !paren || colon < paren || end - colon < 2)
		return false;
	*io = memmem(paren, (size_t)(colon - paren), "i/o", 3) != NULL;
	p = colon + 1;
	while (p < end && *p == ' ')
		p++;
	size_t n = 0;
	while (p + n < end && p[n] != ' ')
		n++;
	if (n == 0 || n >= sizeof(r->block))
		return false;
	memset(r, 0, sizeof(*r));
	memcpy(r->block, p, n);
	r->gpa = start;
	r->size = last - start + 1;
	p += n;
	if (end - p > 2 && p[0] == ' ' && p[1] == '@' &&
	    !parse_hex(p + 2, end, &r->block_off))
		return false;
	return r->block_off + r->size >= r->block_off;
}

struct cp_error *cp_qemu_parse_mtree(const char *text,
				     const char *const *blocks, size_t nblocks,
				     struct cp_qemu_ram_vector *out)
{
	const char *line;
	size_t len;
	bool in_view = false, memory_view = false, done = false;
	for (const char *p = text; !done && (p = next_line(p, &line, &len));) {
		if (starts_with(line, len, "FlatView #")) {
			if (memory_view)
				done = true;	/* the memory view ended */
			in_view = true;
			memory_view = false;
			continue;
		}
		if (!in_view)
			continue;
		if (starts_with(line, len, " AS \"memory\","))
			memory_view = true;
		if (!memory_view || !starts_with(line, len, "  "))
			continue;
		struct cp_qemu_ram r;
		bool io;
		if (!parse_flat_range(line, len, &r, &io))
			continue;	/* "No rendered FlatView", etc. */
		bool wanted = false;
		for (size_t i = 0; !io && i < nblocks; i++)
			wanted |= strcmp(r.block, blocks[i]) == 0;
		if (!wanted)
			continue;
		struct cp_qemu_ram *last =
			out->size ? &out->data[out->size - 1] : NULL;
		if (last && last->gpa + last->size == r.gpa &&
		    last->block_off + last->size == r.block_off &&
		    strcmp(last->block, r.block) == 0) {
			last->size += r.size;
			continue;
		}
		if (last && r.gpa < last->gpa + last->size)
			return cp_error_create(CP_ERR_FORMAT,
					       "info mtree: range at 0x%" PRIx64
					       " overlaps or is out of order",
					       r.gpa);
		if (out->size >= MAX_RANGES)
			return cp_error_create(CP_ERR_FORMAT,
					       "info mtree: over %u RAM ranges",
					       MAX_RANGES);
		if (!cp_qemu_ram_vector_append(out, &r))
			return &cp_enomem;
	}
	if (out->size == 0)
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "info mtree -f: no RAM range of the "
				       "guest's memory blocks in address "
				       "space \"memory\"");
	return NULL;
}

struct cp_error *cp_qemu_parse_gpa2hva(const char *text, uint64_t *hva)
{
	const char *p = strstr(text, " is 0x");
	uint64_t v;
	if (strncmp(text, "Host virtual address for ", 25) != 0 || !p ||
	    !parse_hex(p + 6, p + 6 + strlen(p + 6), &v) || v == 0) {
		size_t n = strcspn(text, "\r\n");
		return cp_error_create(CP_ERR_NOT_FOUND, "gpa2hva: %.*s",
				       (int)(n > 200 ? 200 : n), text);
	}
	*hva = v;
	return NULL;
}

void cp_qemu_mappings_deinit(struct cp_qemu_mapping_vector *v)
{
	for (size_t i = 0; i < v->size; i++)
		free(v->data[i].path);
	cp_qemu_mapping_vector_deinit(v);
}

/* "START-END PERMS OFFSET DEV INODE [PATH]" */
static bool parse_maps_line(const char *line, size_t len,
			    struct cp_qemu_mapping *m)
{
	const char *end = line + len, *p;
	memset(m, 0, sizeof(*m));
	if (!(p = parse_hex(line, end, &m->start)) || p >= end || *p++ != '-' ||
	    !(p = parse_hex(p, end, &m->end)) || m->end < m->start ||
	    end - p < 6 || *p++ != ' ')
		return false;
	m->readable = p[0] == 'r';
	m->shared = p[3] == 's';
	p += 4;
	if (p >= end || *p++ != ' ' || !(p = parse_hex(p, end, &m->offset)))
		return false;
	/* Skip DEV and INODE, then the padding before the path. */
	for (int field = 0; field < 2; field++) {
		while (p < end && *p == ' ')
			p++;
		while (p < end && *p != ' ')
			p++;
	}
	while (p < end && *p == ' ')
		p++;
	if (p < end && *p == '/') {
		size_t n = (size_t)(end - p);
		const char del[] = " (deleted)";
		if (n > sizeof(del) - 1 &&
		    memcmp(end - (sizeof(del) - 1), del, sizeof(del) - 1) == 0) {
			m->deleted = true;
			n -= sizeof(del) - 1;
		}
		m->path = strndup(p, n);
		if (!m->path)
			return false;
	}
	return true;
}

struct cp_error *cp_qemu_parse_maps(const char *text,
				    struct cp_qemu_mapping_vector *out)
{
	const char *line;
	size_t len, lineno = 0;
	for (const char *p = text; (p = next_line(p, &line, &len));) {
		lineno++;
		if (len == 0)
			continue;
		if (out->size >= MAX_MAPPINGS)
			return cp_error_create(CP_ERR_FORMAT,
					       "maps: over %u mappings",
					       MAX_MAPPINGS);
		struct cp_qemu_mapping m;
		if (!parse_maps_line(line, len, &m))
			return cp_error_create(CP_ERR_FORMAT,
					       "maps: line %zu unreadable",
					       lineno);
		if (!cp_qemu_mapping_vector_append(out, &m)) {
			free(m.path);
			return &cp_enomem;
		}
	}
	return NULL;
}

static const struct cp_qemu_mapping *
mapping_at(const struct cp_qemu_mapping_vector *maps, uint64_t addr,
	   size_t *index)
{
	size_t lo = 0, hi = maps->size;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (addr >= maps->data[mid].end)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < maps->size && maps->data[lo].start <= addr) {
		if (index)
			*index = lo;
		return &maps->data[lo];
	}
	return NULL;
}

struct cp_error *cp_qemu_parse_smaps_dontcopy(const char *text,
					      const struct cp_qemu_mapping_vector *maps,
					      bool *dc)
{
	const char *line;
	size_t len, cur = SIZE_MAX;
	for (size_t i = 0; i < maps->size; i++)
		dc[i] = false;
	for (const char *p = text; (p = next_line(p, &line, &len));) {
		uint64_t start;
		const char *q = parse_hex(line, line + len, &start);
		if (q && q < line + len && *q == '-') {
			size_t i;
			cur = mapping_at(maps, start, &i) &&
					      maps->data[i].start == start ?
				      i : SIZE_MAX;
		} else if (cur != SIZE_MAX && starts_with(line, len, "VmFlags:")) {
			for (size_t k = 8; k + 2 <= len; k++)
				if (line[k - 1] == ' ' && line[k] == 'd' &&
				    line[k + 1] == 'c' &&
				    (k + 2 == len || line[k + 2] == ' '))
					dc[cur] = true;
		}
	}
	return NULL;
}

struct cp_error *cp_qemu_find_ram_mapping(
	const struct cp_qemu_mapping_vector *maps, const char *mem_path,
	uint64_t ram_size, const bool *dontcopy, uint64_t *hva)
{
	size_t found = 0, found_dc = 0;
	uint64_t at = 0, at_dc = 0;
	for (size_t i = 0; i < maps->size; i++) {
		const struct cp_qemu_mapping *m = &maps->data[i];
		if (!m->readable)
			continue;
		if (mem_path ? !m->path || strcmp(m->path, mem_path) != 0 ||
				       m->offset != 0 ||
				       m->end - m->start < ram_size :
			       m->path || m->end - m->start != ram_size)
			continue;
		found++;
		at = m->start;
		if (dontcopy && dontcopy[i]) {
			found_dc++;
			at_dc = m->start;
		}
	}
	if (found == 1 || (found > 1 && found_dc == 1)) {
		*hva = found == 1 ? at : at_dc;
		return NULL;
	}
	if (mem_path)
		return cp_error_create(found ? CP_ERR_UNSUPPORTED :
					       CP_ERR_NOT_FOUND,
				       "%zu mappings of %s hold %" PRIu64
				       " bytes of guest RAM", found, mem_path,
				       ram_size);
	return cp_error_create(found ? CP_ERR_UNSUPPORTED : CP_ERR_NOT_FOUND,
			       "%zu anonymous mappings of exactly %" PRIu64
			       " bytes (the guest RAM size) in QEMU; give the "
			       "QMP socket to settle it", found, ram_size);
}

/* ------------------------------------------------------ the command line */

bool cp_qemu_parse_size(const char *s, uint64_t unit, uint64_t *ret)
{
	if (strncmp(s, "size=", 5) == 0)
		s += 5;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || errno || s[0] == '-')
		return false;
	switch (*end) {
	case 'b': case 'B': unit = 1; end++; break;
	case 'k': case 'K': unit = 1ull << 10; end++; break;
	case 'm': case 'M': unit = MiB; end++; break;
	case 'g': case 'G': unit = GiB; end++; break;
	case 't': case 'T': unit = 1ull << 40; end++; break;
	default: break;
	}
	if (*end && *end != ',')
		return false;
	if (v > UINT64_MAX / unit)
		return false;
	*ret = v * unit;
	return true;
}

/*
 * The value of key in a QEMU option string ("q35,accel=tcg,..."); key ""
 * asks for the leading element when it has no '='. ",," is a literal
 * comma. Copies at most size-1 bytes into out.
 */
static bool opt_get(const char *opts, const char *key, char *out,
		    size_t size)
{
	size_t klen = strlen(key);
	const char *p = opts;
	bool first = true;
	while (*p) {
		const char *e = p;
		while (*e && !(e[0] == ',' && e[1] != ',')) {
			if (e[0] == ',' && e[1] == ',')
				e++;
			e++;
		}
		const char *eq = memchr(p, '=', (size_t)(e - p));
		const char *val = NULL;
		if (klen == 0 && first && !eq)
			val = p;
		else if (klen && eq && (size_t)(eq - p) == klen &&
			 memcmp(p, key, klen) == 0)
			val = eq + 1;
		if (val) {
			size_t n = 0;
			for (const char *c = val; c < e && n + 1 < size; c++) {
				out[n++] = *c;
				if (c[0] == ',' && c + 1 < e && c[1] == ',')
					c++;
			}
			out[n] = '\0';
			return true;
		}
		first = false;
		p = *e ? e + 1 : e;
	}
	return false;
}

static enum cp_qemu_machine classify_machine(const char *name)
{
	if (strstr(name, "q35"))
		return CP_QEMU_MACHINE_Q35;
	if (strcmp(name, "pc") == 0 || strncmp(name, "pc-", 3) == 0)
		return CP_QEMU_MACHINE_I440FX;
	return CP_QEMU_MACHINE_UNKNOWN;
}

static struct cp_error *note_backend(struct cp_qemu_cmdline *c,
				     const char *type, const char *path,
				     bool shared)
{
	if (strncmp(type, "memory-backend-", 15) != 0)
		return NULL;
	c->backends++;
	if (strcmp(type, "memory-backend-file") != 0 || !path || !path[0])
		return NULL;
	free(c->mem_path);
	c->mem_path = strdup(path);
	c->mem_shared = shared;
	return c->mem_path ? NULL : &cp_enomem;
}

static bool truthy(const char *v)
{
	return strcmp(v, "on") == 0 || strcmp(v, "yes") == 0 ||
	       strcmp(v, "true") == 0 || strcmp(v, "y") == 0;
}

/* -object TYPE,id=..,mem-path=..,share=on  or  -object {"qom-type":...} */
static struct cp_error *parse_object(struct cp_qemu_cmdline *c,
				     const char *v)
{
	if (v[0] == '{') {
		json_t *j = json_loads(v, 0, NULL);
		if (!j)
			return NULL;	/* not ours to judge */
		const char *type = json_string_value(
			json_object_get(j, "qom-type"));
		json_t *share = json_object_get(j, "share");
		struct cp_error *err = note_backend(
			c, type ? type : "",
			json_string_value(json_object_get(j, "mem-path")),
			json_is_true(share) ||
			(json_is_string(share) &&
			 truthy(json_string_value(share))));
		json_decref(j);
		return err;
	}
	char type[64] = "", path[4096] = "", share[16] = "";
	opt_get(v, "", type, sizeof(type));
	opt_get(v, "qom-type", type, sizeof(type));
	opt_get(v, "mem-path", path, sizeof(path));
	opt_get(v, "share", share, sizeof(share));
	return note_backend(c, type, path, truthy(share));
}

struct chardev {
	char id[64];
	char path[108];
};

struct cp_error *cp_qemu_parse_cmdline(const char *buf, size_t len,
				       struct cp_qemu_cmdline *c)
{
	memset(c, 0, sizeof(*c));
	c->ram_size = 128 * MiB;	/* QEMU's default for x86 */
	/* argv, bounded. */
	const char *argv[4096];
	size_t argc = 0;
	for (size_t at = 0; at < len && argc < CP_ARRAY_SIZE(argv);) {
		const char *nul = memchr(buf + at, '\0', len - at);
		if (!nul)
			break;		/* an unterminated tail: ignored */
		argv[argc++] = buf + at;
		at = (size_t)(nul - buf) + 1;
	}
	if (argc == 0)
		return cp_error_create(CP_ERR_FORMAT, "empty command line");
	const char *base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	/* qemu-system-x86_64, qemu-kvm (RHEL), kvm (old Debian). */
	c->is_qemu = strncmp(base, "qemu", 4) == 0 ||
		     strncmp(base, "kvm", 3) == 0;

	struct chardev chardevs[16];
	size_t nchardevs = 0;
	char mon_chardev[64] = "";
	struct cp_error *err = NULL;
	for (size_t i = 1; i + 1 < argc && !err; i++) {
		const char *o = argv[i], *v = argv[i + 1];
		if (o[0] != '-')
			continue;
		if (o[1] == '-')
			o++;
		char tmp[4096];
		if (strcmp(o, "-m") == 0) {
			uint64_t size;
			char first[64] = "";
			if (!opt_get(v, "size", first, sizeof(first)))
				opt_get(v, "", first, sizeof(first));
			if (cp_qemu_parse_size(first, MiB, &size) && size) {
				c->ram_size = size;
				c->ram_size_given = true;
			}
		} else if (strcmp(o, "-machine") == 0 || strcmp(o, "-M") == 0) {
			char *name = c->machine_name;
			size_t size = sizeof(c->machine_name);
			if (opt_get(v, "type", name, size) ||
			    opt_get(v, "", name, size))
				c->machine = classify_machine(name);
		} else if (strcmp(o, "-object") == 0) {
			err = parse_object(c, v);
		} else if (strcmp(o, "-mem-path") == 0) {
			err = note_backend(c, "memory-backend-file", v, false);
		} else if (strcmp(o, "-qmp") == 0 || strcmp(o, "-qmp-pretty") == 0) {
			if (strncmp(v, "unix:", 5) == 0 && !c->qmp_socket) {
				snprintf(tmp, sizeof(tmp), "%s", v + 5);
				tmp[strcspn(tmp, ",")] = '\0';
				c->qmp_socket = strdup(tmp);
				if (!c->qmp_socket)
					err = &cp_enomem;
			}
		} else if (strcmp(o, "-chardev") == 0 &&
			   nchardevs < CP_ARRAY_SIZE(chardevs)) {
			struct chardev *cd = &chardevs[nchardevs];
			if (opt_get(v, "", tmp, sizeof(tmp)) &&
			    strcmp(tmp, "socket") == 0 &&
			    opt_get(v, "id", cd->id, sizeof(cd->id)) &&
			    opt_get(v, "path", cd->path, sizeof(cd->path)))
				nchardevs++;
		} else if (strcmp(o, "-mon") == 0) {
			char mode[32] = "";
			opt_get(v, "mode", mode, sizeof(mode));
			if (strcmp(mode, "control") == 0)
				opt_get(v, "chardev", mon_chardev,
					sizeof(mon_chardev));
		}
	}
	for (size_t i = 0; !err && !c->qmp_socket && mon_chardev[0] &&
			   i < nchardevs; i++)
		if (strcmp(chardevs[i].id, mon_chardev) == 0) {
			c->qmp_socket = strdup(chardevs[i].path);
			if (!c->qmp_socket)
				err = &cp_enomem;
		}
	if (!c->machine_name[0])
		c->machine = CP_QEMU_MACHINE_I440FX;	/* the default "pc" */
	if (err)
		cp_qemu_cmdline_deinit(c);
	return err;
}

void cp_qemu_cmdline_deinit(struct cp_qemu_cmdline *cmd)
{
	free(cmd->mem_path);
	free(cmd->qmp_socket);
	cmd->mem_path = NULL;
	cmd->qmp_socket = NULL;
}

struct cp_error *cp_qemu_split_ram(enum cp_qemu_machine machine,
				   uint64_t ram_size,
				   struct cp_qemu_ram_vector *out)
{
	uint64_t from, low;
	switch (machine) {
	case CP_QEMU_MACHINE_Q35:	/* pc_q35_init(): 0xb0000000 */
		from = 0xb0000000ull;
		low = 2 * GiB;
		break;
	case CP_QEMU_MACHINE_I440FX:	/* pc_init1(), gigabyte_align */
		from = 0xe0000000ull;
		low = 3 * GiB;
		break;
	default:
		return cp_error_create(CP_ERR_UNSUPPORTED,
				       "unknown machine type: cannot infer "
				       "where RAM sits (give the QMP socket)");
	}
	if (ram_size == 0 || ram_size > (1ull << 52))
		return cp_error_create(CP_ERR_FORMAT, "RAM size %" PRIu64
				       " is not plausible", ram_size);
	if (ram_size < from)
		low = ram_size;
	struct cp_qemu_ram r = { .gpa = 0, .size = low, .block_off = 0 };
	snprintf(r.block, sizeof(r.block), "ram");
	if (!cp_qemu_ram_vector_append(out, &r))
		return &cp_enomem;
	if (ram_size > low) {
		r.gpa = 4 * GiB;
		r.size = ram_size - low;
		r.block_off = low;
		if (!cp_qemu_ram_vector_append(out, &r))
			return &cp_enomem;
	}
	return NULL;
}
