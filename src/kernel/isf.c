/*
 * isf.c - what ISF export and import share, and the System.map importer.
 *
 * The string map and base64 codec serve both directions (user type names
 * must be unique keys on the way out and resolve to BTF ids on the way
 * in; linux_banner travels base64-encoded). System.map + BTF is the other
 * non-RAM source of a profile: symbols from the text file, types from a
 * BTF file (raw, or the .BTF section of an ELF vmlinux) via libbpf.
 *
 * System.map is input from a user, not the guest, but is parsed as
 * carefully: bounded line length and count, and Debian's 83-byte
 * placeholder is recognised and refused with advice.
 *
 * Not for: the ISF JSON itself (isf_export.c, isf_import.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/btf.h"
#include "kernel/isf.h"
#include "kernel/isf_internal.h"
#include "util/cleanup.h"
#include "util/error.h"

#define MAX_MAP_FILE (256u << 20)
#define MAX_MAP_LINE 4096
#define MAX_SYMBOL_NAME 1024

/* ---------------------------------------------------------------- map */

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

bool cp_isf_map_init(struct cp_isf_map *m, size_t expected)
{
	size_t cap = 16;
	while (cap < 2 * expected && cap < ((size_t)1 << 40))
		cap *= 2;
	m->e = calloc(cap, sizeof(*m->e));
	m->mask = cap - 1;
	m->n = 0;
	return m->e != NULL;
}

void cp_isf_map_deinit(struct cp_isf_map *m)
{
	free(m->e);
	m->e = NULL;
	m->n = m->mask = 0;
}

static struct cp_isf_map_entry *slot(const struct cp_isf_map *m,
				     const char *key, uint32_t h)
{
	size_t i = h & m->mask;
	while (m->e[i].key &&
	       (m->e[i].hash != h || strcmp(m->e[i].key, key) != 0))
		i = (i + 1) & m->mask;
	return &m->e[i];
}

uint32_t *cp_isf_map_get(const struct cp_isf_map *m, const char *key)
{
	struct cp_isf_map_entry *e = slot(m, key, hash_str(key));
	return e->key ? &e->value : NULL;
}

static bool grow(struct cp_isf_map *m)
{
	struct cp_isf_map bigger;
	if (!cp_isf_map_init(&bigger, m->mask + 1))
		return false;
	for (size_t i = 0; i <= m->mask; i++)
		if (m->e[i].key)
			*slot(&bigger, m->e[i].key, m->e[i].hash) = m->e[i];
	bigger.n = m->n;
	free(m->e);
	*m = bigger;
	return true;
}

bool cp_isf_map_put(struct cp_isf_map *m, const char *key, uint32_t value)
{
	if (2 * (m->n + 1) > m->mask + 1 && !grow(m))
		return false;
	uint32_t h = hash_str(key);
	struct cp_isf_map_entry *e = slot(m, key, h);
	if (!e->key) {
		e->key = key;
		e->hash = h;
		m->n++;
	}
	e->value = value;
	return true;
}

/* -------------------------------------------------------------- base64 */

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *cp_isf_base64_encode(const uint8_t *data, size_t len)
{
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)data[i + 1] << 8;
		if (i + 2 < len)
			v |= data[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

uint8_t *cp_isf_base64_decode(const char *text, size_t *len)
{
	size_t n = strlen(text);
	if (n % 4)
		return NULL;
	uint8_t *out = malloc(n / 4 * 3 + 1);
	size_t o = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			bool last = i + 4 == n;
			if (text[i + k] == '=' && last && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			v[k] = pad ? -1 : b64_value(text[i + k]);
			if (v[k] < 0) {
				free(out);
				return NULL;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
			     (uint32_t)v[2] << 6 | (uint32_t)v[3];
		out[o++] = (uint8_t)(w >> 16);
		if (pad < 2)
			out[o++] = (uint8_t)(w >> 8);
		if (pad < 1)
			out[o++] = (uint8_t)w;
	}
	*len = o;
	return out;
}

/* -------------------------------------------------------------- symbols */

void cp_isf_symbols_deinit(struct cp_isf_symbols *syms)
{
	if (!syms)
		return;
	for (size_t i = 0; i < syms->size; i++)
		free((char *)syms->data[i].name);
	free(syms->data);
	free(syms->banner);
	memset(syms, 0, sizeof(*syms));
}

/* Parses one "ADDR TYPE NAME [module]" line; false if malformed. */
static bool parse_map_line(const char *line, size_t len, uint64_t *addr,
			   char *type, const char **name, size_t *name_len)
{
	size_t i = 0, start;
	uint64_t v = 0;
	unsigned digits = 0;
	for (; i < len && line[i] != ' '; i++, digits++) {
		char c = line[i];
		int d = c >= '0' && c <= '9'   ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 :
					       -1;
		if (d < 0 || digits >= 16)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	if (!digits || i + 3 >= len || line[i + 2] != ' ')
		return false;
	*type = line[i + 1];
	if (!((*type >= 'a' && *type <= 'z') || (*type >= 'A' && *type <= 'Z')))
		return false;
	start = i += 3;
	while (i < len && line[i] != ' ' && line[i] != '\t')
		i++;
	if (i == start || i - start > MAX_SYMBOL_NAME)
		return false;
	*addr = v;
	*name = line + start;
	*name_len = i - start;
	/* Only a "\t[module]" may follow the name. */
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i == len || line[i] == '[';
}

struct cp_error *cp_isf_parse_system_map(const char *text, size_t len,
					 struct cp_isf_symbols *syms)
{
	size_t cap = 0, bad = 0, lines = 0;
	memset(syms, 0, sizeof(*syms));
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
		const char *line = text + at;
		at += n + (nl != NULL);
		if (n == 0)
			continue;
		lines++;
		uint64_t addr;
		char type;
		const char *name;
		size_t name_len;
		if (n > MAX_MAP_LINE ||
		    !parse_map_line(line, n, &addr, &type, &name, &name_len)) {
			bad++;
			continue;
		}
		if (syms->size == cap) {
			cap = cap ? cap * 2 : 1024;
			struct cp_isf_symbol *d =
				realloc(syms->data, cap * sizeof(*d));
			if (!d) {
				cp_isf_symbols_deinit(syms);
				return &cp_enomem;
			}
			syms->data = d;
		}
		char *copy = strndup(name, name_len);
		if (!copy) {
			cp_isf_symbols_deinit(syms);
			return &cp_enomem;
		}
		syms->data[syms->size++] = (struct cp_isf_symbol){
			.name = copy, .address = addr, .type = type
		};
	}
	if (syms->size == 0 || bad * 10 > lines) {
		bool placeholder =
			memmem(text, len, "The real System.map", 19) != NULL;
		size_t good = syms->size;
		cp_isf_symbols_deinit(syms);
		return cp_error_create(
			CP_ERR_FORMAT,
			"System.map: %zu of %zu lines are symbols%s", good,
			lines,
			placeholder ? " (a distribution placeholder: the real "
				      "System.map is in the kernel's -dbg "
				      "package)" :
				      "");
	}
	return NULL;
}

struct cp_error *cp_isf_read_file(const char *path, size_t max, char **ret,
				  size_t *len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return cp_error_os(errno, "%s", path);
	if (fstat(fd, &st) < 0)
		return cp_error_os(errno, "%s: stat", path);
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max)
		return cp_error_create(CP_ERR_USAGE,
				       "%s: not a regular file under %zu MiB",
				       path, max >> 20);
	char *buf = malloc((size_t)st.st_size + 1);
	size_t done = 0;
	if (!buf)
		return &cp_enomem;
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			free(buf);
			return cp_error_os(e, "%s: read", path);
		}
		done += (size_t)n;
	}
	buf[done] = '\0';
	*ret = buf;
	*len = done;
	return NULL;
}

struct cp_error *cp_isf_import_system_map(const char *map_path,
					  const char *btf_path,
					  struct btf **btf,
					  struct cp_isf_symbols *syms)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	struct cp_error *err =
		cp_isf_read_file(map_path, MAX_MAP_FILE, &text, &len);
	if (err)
		return err;
	struct cp_isf_symbols parsed;
	err = cp_isf_parse_system_map(text, len, &parsed);
	if (err)
		return cp_error_wrap(err, "%s", map_path);
	err = cp_btf_load_file(btf_path, true, btf);
	if (err) {
		cp_isf_symbols_deinit(&parsed);
		return err;
	}
	if (syms)
		*syms = parsed;
	else
		cp_isf_symbols_deinit(&parsed);
	return NULL;
}
