/*
 * qemu.c - live guest RAM from a running, unmodified QEMU process.
 *
 * Three schemes, one mechanism:
 *   qemu:PID[,qmp=SOCKET|off][,read=auto|mmap|readv]
 *   qmp:SOCKET[,read=...]   QEMU's PID from the socket (SO_PEERCRED)
 *   libvirt:NAME[,read=...] PID from /run/libvirt/qemu/NAME.pid
 * The layout (guest-physical range -> host address in QEMU) comes from QMP
 * when a monitor socket answers (`info mtree -f`, `gpa2hva`), else it is
 * inferred from the command line and /proc/PID/maps, and the source says
 * which (cp_qemu_layout_origin). See qemu.h and qemu_layout.c.
 *
 * Reads: when all guest RAM lies in one shared file mapping
 * (memory-backend-file,share=on; hugetlbfs too) the file is mapped here and
 * reads are memcpy (zero copy for cp_mem_map), exactly like shm:. Otherwise
 * process_vm_readv, up to IOV_MAX pieces per call for batches.
 *
 * A live process can die mid-read, and its PID can be reused by another
 * process. A pidfd pins the original process: after every process_vm_readv
 * the pidfd is polled, and a read after which the process is gone fails
 * ("qemu:1234: process exited", CP_ERR_OS/ESRCH) rather than return bytes
 * that may be someone else's. On the zero-copy path the mapping stays
 * valid after QEMU exits (it shows RAM as the guest left it); the pidfd is
 * polled once per clock tick (CLOCK_MONOTONIC_COARSE, 4 ms here) so reads
 * stay near memcpy speed and fail from the next tick on.
 *
 * Never writes: process_vm_writev is not used, mappings are PROT_READ.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "mem/mem.h"
#include "mem/qemu.h"
#include "mem/qmp.h"
#include "util/cleanup.h"
#include "util/error.h"

#define QMP_TIMEOUT_MS 2000
#define MAX_PROC_TEXT (64u << 20)	/* /proc/PID/{maps,smaps,cmdline} */
#define LIBVIRT_RUN_DIR "/run/libvirt/qemu"

enum read_mode { READ_AUTO, READ_MMAP, READ_READV };

struct options {
	const char *qmp;	/* socket path, or NULL */
	bool qmp_off;
	enum read_mode read;
};

struct qemu_source {
	pid_t pid;
	int pidfd;		/* -1 when the kernel has no pidfd_open */
	bool exited;
	bool zero_copy;
	struct timespec last_check;	/* coarse clock, zero-copy mode */
	char label[32];		/* "qemu:PID" for messages */
	char *origin;		/* how the layout was learned */
	struct iovec local[IOV_MAX], remote[IOV_MAX];
};

/* ------------------------------------------------------------ liveness */

static struct cp_error *exited_error(const struct qemu_source *q)
{
	struct cp_error *err = cp_error_create(CP_ERR_OS, "%s: process exited",
					       q->label);
	if (err->needs_free)
		err->os_errno = ESRCH;
	return err;
}

/* True once the process has exited (and forever after). */
static bool process_gone(struct qemu_source *q)
{
	if (q->exited)
		return true;
	if (q->pidfd >= 0) {
		struct pollfd p = { .fd = q->pidfd, .events = POLLIN };
		q->exited = poll(&p, 1, 0) > 0;
	} else {
		/* No pidfd: a zombie still answers kill(0); reuse of the PID
		 * is not detected. Only on kernels before 5.3. */
		q->exited = kill(q->pid, 0) < 0 && errno == ESRCH;
	}
	return q->exited;
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* ---------------------------------------------------------------- reads */

static uint64_t chunk_gpa(const struct cp_mem_chunk *c)
{
	return c->region->range.start + c->off;
}

/* Why chunk c could not be read, once the process is known alive. */
static struct cp_error *chunk_error(struct qemu_source *q,
				    const struct cp_mem_chunk *c, int errnum)
{
	if (errnum == ESRCH || process_gone(q))
		return exited_error(q);
	if (errnum == EFAULT || errnum == 0)
		return cp_error_create(CP_ERR_FAULT,
				       "%s: guest-physical 0x%" PRIx64
				       " (host 0x%" PRIx64 ") is not mapped "
				       "in QEMU", q->label, chunk_gpa(c),
				       c->region->where + c->off);
	if (errnum == EPERM)
		return cp_error_os(errnum, "%s: process_vm_readv (needs root "
				   "or CAP_SYS_PTRACE over QEMU)", q->label);
	return cp_error_os(errnum, "%s: process_vm_readv", q->label);
}

/*
 * process_vm_readv over many chunks per call: chunks adjacent both here
 * and in QEMU share one iovec (the kernel pins up to 16 pages per step
 * within an iovec, one iovec at a time otherwise), up to IOV_MAX iovecs.
 * A short count means the chunk after the last complete one failed (the
 * kernel stops at the first bad remote page).
 */
static struct cp_error *readv_batch(struct cp_mem *mem,
				    const struct cp_mem_chunk *chunks,
				    size_t n, size_t *done)
{
	struct qemu_source *q = mem->priv;
	*done = 0;
	if (q->exited)
		return exited_error(q);
	while (*done < n) {
		const struct cp_mem_chunk *c = chunks + *done;
		size_t k = 0, m = 0;
		for (; *done + m < n; m++) {
			uint8_t *lbase = c[m].buf;
			uint64_t rbase = c[m].region->where + c[m].off;
			struct iovec *l = k ? &q->local[k - 1] : NULL;
			struct iovec *r = k ? &q->remote[k - 1] : NULL;
			if (l && (uint8_t *)l->iov_base + l->iov_len == lbase &&
			    (uintptr_t)r->iov_base + r->iov_len == rbase &&
			    l->iov_len + c[m].len <= SSIZE_MAX / 2) {
				l->iov_len += c[m].len;
				r->iov_len += c[m].len;
				continue;
			}
			if (k == IOV_MAX)
				break;
			q->local[k] = (struct iovec){ lbase, c[m].len };
			q->remote[k] = (struct iovec){ (void *)(uintptr_t)rbase,
						       c[m].len };
			k++;
		}
		ssize_t got = process_vm_readv(q->pid, q->local, k, q->remote,
					       k, 0);
		if (got < 0)
			return chunk_error(q, c, errno);
		size_t full = 0, sum = 0;
		while (full < m && sum + c[full].len <= (size_t)got)
			sum += c[full++].len;
		/* Whatever was read, it came from our QEMU only if QEMU is
		 * still there now: the pidfd pins it, the PID does not. */
		if (process_gone(q))
			return exited_error(q);
		*done += full;
		if (full < m)
			return chunk_error(q, c + full, 0);
	}
	return NULL;
}

static struct cp_error *mapped_batch(struct cp_mem *mem,
				     const struct cp_mem_chunk *chunks,
				     size_t n, size_t *done)
{
	struct qemu_source *q = mem->priv;
	*done = 0;
	if (process_gone(q))
		return exited_error(q);
	for (size_t i = 0; i < n; i++)
		memcpy(chunks[i].buf,
		       mem->map + chunks[i].region->where + chunks[i].off,
		       chunks[i].len);
	*done = n;
	return NULL;
}

static struct cp_error *qemu_read_batch(struct cp_mem *mem,
					const struct cp_mem_chunk *chunks,
					size_t n, size_t *done)
{
	struct qemu_source *q = mem->priv;
	return q->zero_copy ? mapped_batch(mem, chunks, n, done) :
			      readv_batch(mem, chunks, n, done);
}

static struct cp_error *qemu_read(struct cp_mem *mem,
				  const struct cp_mem_region *r, uint64_t off,
				  void *buf, size_t len)
{
	struct qemu_source *q = mem->priv;
	if (q->zero_copy) {
		/* The coarse clock costs a few ns (vDSO); the pidfd poll
		 * 150 ns, so it runs once per tick. */
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
		if (now.tv_nsec != q->last_check.tv_nsec ||
		    now.tv_sec != q->last_check.tv_sec) {
			q->last_check = now;
			process_gone(q);
		}
		if (q->exited)
			return exited_error(q);
		memcpy(buf, mem->map + r->where + off, len);
		return NULL;
	}
	struct cp_mem_chunk c = { .region = r, .off = off, .buf = buf,
				  .len = len };
	size_t done;
	return readv_batch(mem, &c, 1, &done);
}

/* ------------------------------------------------------------- opening */

/* Reads a /proc file whole (they report size 0), NUL-terminated. */
static struct cp_error *slurp(const char *path, char **ret, size_t *len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cp_error_os(errno, "%s", path);
	size_t cap = 65536, n = 0;
	_cleanup_free_ char *buf = malloc(cap);
	if (!buf)
		return &cp_enomem;
	for (;;) {
		if (cap - n < 2) {
			if (cap >= MAX_PROC_TEXT)
				return cp_error_create(CP_ERR_FORMAT,
						       "%s: over %u bytes",
						       path, MAX_PROC_TEXT);
			char *b = realloc(buf, cap * 2);
			if (!b)
				return &cp_enomem;
			buf = b;
			cap *= 2;
		}
		ssize_t got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return cp_error_os(errno, "%s", path);
		if (got == 0)
			break;
		n += (size_t)got;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	*ret = cp_steal_ptr(&buf);
	return NULL;
}

/* Names of the guest's RAM blocks: "pc.ram" and every memory backend. */
static struct cp_error *ram_block_names(struct cp_qmp *qmp, char ***names,
					size_t *n)
{
	json_t *list;
	json_t *args = json_pack("{s:s}", "path", "/objects");
	if (!args)
		return &cp_enomem;
	struct cp_error *err = cp_qmp_execute(qmp, "qom-list", args, &list);
	json_decref(args);
	if (err)
		return err;
	size_t cap = json_array_size(list) + 1;
	char **v = calloc(cap, sizeof(*v));
	size_t k = 0;
	if (v)
		v[k++] = strdup("pc.ram");
	for (size_t i = 0; v && i < json_array_size(list); i++) {
		json_t *o = json_array_get(list, i);
		const char *name = json_string_value(json_object_get(o, "name"));
		const char *type = json_string_value(json_object_get(o, "type"));
		if (name && type &&
		    strncmp(type, "child<memory-backend-", 21) == 0)
			v[k++] = strdup(name);
	}
	json_decref(list);
	for (size_t i = 0; v && i < k; i++)
		if (!v[i])
			err = &cp_enomem;
	if (!v || err) {
		for (size_t i = 0; v && i < k; i++)
			free(v[i]);
		free(v);
		return &cp_enomem;
	}
	*names = v;
	*n = k;
	return NULL;
}

static struct cp_error *layout_from_qmp(struct qemu_source *q,
					struct cp_qmp *qmp,
					struct cp_qemu_ram_vector *ranges)
{
	char **names = NULL;
	size_t nnames = 0;
	struct cp_error *err = ram_block_names(qmp, &names, &nnames);
	_cleanup_free_ char *mtree = NULL;
	if (!err)
		err = cp_qmp_hmp(qmp, "info mtree -f", &mtree);
	if (!err)
		err = cp_qemu_parse_mtree(mtree, (const char *const *)names,
					  nnames, ranges);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	for (size_t i = 0; !err && i < ranges->size; i++) {
		char cmd[64];
		_cleanup_free_ char *out = NULL;
		snprintf(cmd, sizeof(cmd), "gpa2hva 0x%" PRIx64,
			 ranges->data[i].gpa);
		err = cp_qmp_hmp(qmp, cmd, &out);
		if (!err)
			err = cp_qemu_parse_gpa2hva(out, &ranges->data[i].hva);
	}
	if (err)
		return err;
	if (asprintf(&q->origin, "QMP (QEMU %s): info mtree -f, %zu RAM "
		     "ranges, gpa2hva", cp_qmp_version(qmp), ranges->size) < 0)
		q->origin = NULL;
	return NULL;
}

static struct cp_error *layout_inferred(struct qemu_source *q,
					const struct cp_qemu_cmdline *cmd,
					const struct cp_qemu_mapping_vector *maps,
					const char *why,
					struct cp_qemu_ram_vector *ranges)
{
	if (cmd->backends > 1)
		return cp_error_create(CP_ERR_UNSUPPORTED,
				       "%u memory backends (NUMA or DIMMs): "
				       "their layout needs QMP (%s)",
				       cmd->backends, why);
	struct cp_error *err =
		cp_qemu_split_ram(cmd->machine, cmd->ram_size, ranges);
	if (err)
		return cp_error_wrap(err, "no QMP (%s)", why);
	_cleanup_free_ bool *dc = NULL;
	_cleanup_free_ char *smaps = NULL;
	uint64_t hva;
	err = cp_qemu_find_ram_mapping(maps, cmd->mem_path, cmd->ram_size,
				       NULL, &hva);
	if (err && cp_error_code(err) == CP_ERR_UNSUPPORTED && !cmd->mem_path) {
		/* Several candidates: QEMU marks guest RAM MADV_DONTFORK. */
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/smaps", (int)q->pid);
		dc = calloc(maps->size ? maps->size : 1, sizeof(*dc));
		if (dc && !slurp(path, &smaps, NULL) &&
		    !cp_qemu_parse_smaps_dontcopy(smaps, maps, dc)) {
			cp_error_destroy(err);
			err = cp_qemu_find_ram_mapping(maps, NULL,
						       cmd->ram_size, dc, &hva);
		}
	}
	if (err)
		return cp_error_wrap(err, "no QMP (%s)", why);
	for (size_t i = 0; i < ranges->size; i++)
		ranges->data[i].hva = hva + ranges->data[i].block_off;
	if (asprintf(&q->origin, "inferred, no QMP (%s): -m %" PRIu64
		     " MiB%s, machine %s, RAM %s at 0x%" PRIx64, why,
		     cmd->ram_size >> 20,
		     cmd->ram_size_given ? "" : " (default)",
		     cmd->machine_name[0] ? cmd->machine_name : "pc (default)",
		     cmd->mem_path ? cmd->mem_path : "anonymous", hva) < 0)
		q->origin = NULL;
	return NULL;
}

/*
 * The mapping holding [hva, hva+size) entirely, or NULL. RAM blocks are
 * one mapping each in QEMU; a range over two mappings is not trusted.
 */
static const struct cp_qemu_mapping *
covering(const struct cp_qemu_mapping_vector *maps, uint64_t hva,
	 uint64_t size)
{
	for (size_t i = 0; i < maps->size; i++) {
		const struct cp_qemu_mapping *m = &maps->data[i];
		if (m->start <= hva && hva < m->end)
			return m->readable && size <= m->end - hva ? m : NULL;
	}
	return NULL;
}

/* Maps the RAM file through /proc/PID/map_files (works when unlinked). */
static struct cp_error *map_ram_file(struct cp_mem *mem, pid_t pid,
				     const struct cp_qemu_mapping *m)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		 (int)pid, m->start, m->end);
	mem->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (mem->fd < 0 && !m->deleted)
		mem->fd = open(m->path, O_RDONLY | O_CLOEXEC);
	if (mem->fd < 0)
		return cp_error_os(errno, "open %s", m->path);
	struct stat st;
	if (fstat(mem->fd, &st) < 0)
		return cp_error_os(errno, "stat %s", m->path);
	if ((uint64_t)st.st_size < m->offset + (m->end - m->start) ||
	    (uint64_t)st.st_size > SIZE_MAX)
		return cp_error_create(CP_ERR_CORRUPT, "%s: %" PRIu64 " bytes, "
				       "shorter than QEMU's mapping", m->path,
				       (uint64_t)st.st_size);
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED,
			 mem->fd, 0);
	if (map == MAP_FAILED)
		return cp_error_os(errno, "mmap %s", m->path);
	mem->map = map;
	mem->map_size = (size_t)st.st_size;
	return NULL;
}

/* Turns ranges with host addresses into regions, choosing the read path. */
static struct cp_error *build_regions(struct cp_mem *mem,
				      struct qemu_source *q,
				      const struct cp_qemu_ram_vector *ranges,
				      const struct cp_qemu_mapping_vector *maps,
				      enum read_mode mode)
{
	const struct cp_qemu_mapping *shared = NULL;
	bool one_file = true;
	for (size_t i = 0; i < ranges->size; i++) {
		const struct cp_qemu_ram *r = &ranges->data[i];
		const struct cp_qemu_mapping *m = covering(maps, r->hva, r->size);
		if (!m)
			return cp_error_create(CP_ERR_CORRUPT,
					       "guest-physical 0x%" PRIx64 "+0x%"
					       PRIx64 " at host 0x%" PRIx64
					       " is not inside one readable "
					       "mapping of QEMU", r->gpa,
					       r->size, r->hva);
		if (!m->shared || !m->path || (shared && m != shared))
			one_file = false;
		shared = m;
	}
	if (mode == READ_MMAP && !one_file)
		return cp_error_create(CP_ERR_UNSUPPORTED,
				       "read=mmap: guest RAM is not one shared "
				       "file mapping in QEMU");
	q->zero_copy = one_file && mode != READ_READV;
	if (q->zero_copy) {
		struct cp_error *err = map_ram_file(mem, q->pid, shared);
		if (err)
			return err;
	}
	for (size_t i = 0; i < ranges->size; i++) {
		const struct cp_qemu_ram *r = &ranges->data[i];
		uint64_t where = q->zero_copy ?
			shared->offset + (r->hva - shared->start) : r->hva;
		struct cp_error *err =
			cp_mem_add_region(mem, r->gpa, r->size, where);
		if (err)
			return err;
	}
	return cp_mem_finish_regions(mem);
}

/*
 * Attaches to QEMU process pid. qmp: an open connection to use (qmp:),
 * or NULL to look for one (the qmp= option, then the command line).
 */
static struct cp_error *attach(struct cp_mem *mem, pid_t pid,
			       struct cp_qmp *qmp, const struct options *o)
{
	struct qemu_source *q = calloc(1, sizeof(*q));
	if (!q)
		return &cp_enomem;
	mem->priv = q;
	q->pid = pid;
	snprintf(q->label, sizeof(q->label), "qemu:%d", (int)pid);
	q->pidfd = open_pidfd(pid);
	if (q->pidfd < 0 && errno == ESRCH)
		return cp_error_create(CP_ERR_NOT_FOUND, "no process %d",
				       (int)pid);

	char path[64];
	_cleanup_free_ char *argv = NULL, *maps_text = NULL, *why = NULL;
	struct cp_qmp *own = NULL;
	size_t argv_len;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	struct cp_error *err = slurp(path, &argv, &argv_len);
	if (err)
		return err;
	struct cp_qemu_cmdline cmd;
	if ((err = cp_qemu_parse_cmdline(argv, argv_len, &cmd)))
		return err;
	struct cp_qemu_ram_vector ranges;
	struct cp_qemu_mapping_vector maps;
	cp_qemu_ram_vector_init(&ranges);
	cp_qemu_mapping_vector_init(&maps);
	if (!cmd.is_qemu) {
		err = cp_error_create(CP_ERR_USAGE, "process %d (%.40s) is not "
				      "QEMU", (int)pid, argv);
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if ((err = slurp(path, &maps_text, NULL)) ||
	    (err = cp_qemu_parse_maps(maps_text, &maps)))
		goto out;

	/* Layout: QMP when it answers, inference otherwise. */
	const char *sock = o->qmp ? o->qmp : cmd.qmp_socket;
	if (!qmp && o->qmp_off) {
		why = strdup("qmp=off");
	} else if (!qmp && !sock) {
		why = strdup("no QMP socket on the command line");
	} else if (!qmp) {
		err = cp_qmp_connect(sock, QMP_TIMEOUT_MS, &own);
		if (!err && cp_qmp_peer_pid(own) != pid)
			err = cp_error_create(CP_ERR_USAGE, "%s is served by "
					      "process %d, not %d", sock,
					      (int)cp_qmp_peer_pid(own),
					      (int)pid);
		if (err && o->qmp)
			goto out;	/* asked for by name: must work */
		if (err) {
			why = strdup(cp_error_message(err));
			cp_error_destroy(err);
			err = NULL;
		}
	}
	if (qmp || own) {
		/* Hold the monitor no longer than needed: QEMU serves one
		 * client at a time. */
		err = layout_from_qmp(q, qmp ? qmp : own, &ranges);
		cp_qmp_close(own);
		if (err && (qmp || o->qmp))
			goto out;
		if (err) {	/* a QEMU without gpa2hva, say: infer */
			why = strdup(cp_error_message(err));
			cp_error_destroy(err);
			err = NULL;
			cp_qemu_ram_vector_deinit(&ranges);
		}
	}
	if (!ranges.size) {
		err = layout_inferred(q, &cmd, &maps, why ? why : "?", &ranges);
		if (err)
			goto out;
	}
	err = build_regions(mem, q, &ranges, &maps, o->read);
	if (!err && !q->zero_copy) {
		/* One byte now: a permission problem shows at open. */
		uint8_t b;
		err = cp_mem_read(mem, mem->regions[0].range.start, &b, 1);
	}
out:
	cp_qemu_ram_vector_deinit(&ranges);
	cp_qemu_mappings_deinit(&maps);
	cp_qemu_cmdline_deinit(&cmd);
	return err;
}

/* Cuts ",key=value" options off mem->path (in place). */
static struct cp_error *parse_options(struct cp_mem *mem, struct options *o,
				      bool qmp_allowed)
{
	memset(o, 0, sizeof(*o));
	char *p = strchr(mem->path, ',');
	if (!p)
		return NULL;
	*p++ = '\0';
	while (p && *p) {
		char *next = strchr(p, ',');
		if (next)
			*next++ = '\0';
		if (qmp_allowed && strcmp(p, "qmp=off") == 0)
			o->qmp_off = true;
		else if (qmp_allowed && strncmp(p, "qmp=", 4) == 0 && p[4])
			o->qmp = p + 4;
		else if (strcmp(p, "read=auto") == 0)
			o->read = READ_AUTO;
		else if (strcmp(p, "read=mmap") == 0)
			o->read = READ_MMAP;
		else if (strcmp(p, "read=readv") == 0)
			o->read = READ_READV;
		else
			return cp_error_create(CP_ERR_USAGE, "unknown option "
					       "'%s' (%sread=auto|mmap|readv)",
					       p, qmp_allowed ?
					       "qmp=SOCKET|off, " : "");
		p = next;
	}
	return NULL;
}

static struct cp_error *parse_pid(const char *s, pid_t *ret)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || (*end && *end != '\n') || v <= 0 ||
	    v > INT_MAX)
		return cp_error_create(CP_ERR_USAGE, "'%.32s' is not a PID", s);
	*ret = (pid_t)v;
	return NULL;
}

static struct cp_error *qemu_open(struct cp_mem *mem, const char *arg)
{
	(void)arg;
	struct options o;
	pid_t pid;
	struct cp_error *err = parse_options(mem, &o, true);
	if (!err)
		err = parse_pid(mem->path, &pid);
	return err ? err : attach(mem, pid, NULL, &o);
}

static struct cp_error *qmp_open(struct cp_mem *mem, const char *arg)
{
	(void)arg;
	struct options o;
	struct cp_error *err = parse_options(mem, &o, false);
	if (err)
		return err;
	struct cp_qmp *qmp;
	if ((err = cp_qmp_connect(mem->path, QMP_TIMEOUT_MS, &qmp)))
		return err;
	err = attach(mem, cp_qmp_peer_pid(qmp), qmp, &o);
	cp_qmp_close(qmp);
	return err;
}

static struct cp_error *libvirt_open(struct cp_mem *mem, const char *arg)
{
	(void)arg;
	struct options o;
	struct cp_error *err = parse_options(mem, &o, false);
	if (err)
		return err;
	if (strchr(mem->path, '/') || mem->path[0] == '.')
		return cp_error_create(CP_ERR_USAGE, "'%s' is not a domain name",
				       mem->path);
	/* libvirt holds the domain's monitor; ask it nothing. */
	o.qmp_off = true;
	const char *dir = getenv("CLOUDPROBE_LIBVIRT_RUN");
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.pid", dir ? dir : LIBVIRT_RUN_DIR,
		 mem->path);
	_cleanup_free_ char *text = NULL;
	err = slurp(path, &text, NULL);
	if (err && cp_error_errno(err) == ENOENT) {
		cp_error_destroy(err);
		return cp_error_create(CP_ERR_NOT_FOUND, "no %s: domain not "
				       "running, or no libvirt here", path);
	}
	pid_t pid;
	if (!err)
		err = parse_pid(text, &pid);
	if (!err)
		err = attach(mem, pid, NULL, &o);
	if (!err) {
		struct qemu_source *q = mem->priv;
		char *origin = NULL;
		if (asprintf(&origin, "libvirt domain %s (%s): %s", mem->path,
			     path, q->origin ? q->origin : "") >= 0) {
			free(q->origin);
			q->origin = origin;
		}
	}
	return err;
}

static void qemu_close(struct cp_mem *mem)
{
	struct qemu_source *q = mem->priv;
	if (!q)
		return;
	if (q->pidfd >= 0)
		close(q->pidfd);
	free(q->origin);
	free(q);
	mem->priv = NULL;
}

const struct cp_mem_ops cp_mem_qemu_ops = {
	.scheme = "qemu", .open = qemu_open, .read = qemu_read,
	.read_batch = qemu_read_batch, .close = qemu_close,
};
const struct cp_mem_ops cp_mem_qmp_ops = {
	.scheme = "qmp", .open = qmp_open, .read = qemu_read,
	.read_batch = qemu_read_batch, .close = qemu_close,
};
const struct cp_mem_ops cp_mem_libvirt_ops = {
	.scheme = "libvirt", .open = libvirt_open, .read = qemu_read,
	.read_batch = qemu_read_batch, .close = qemu_close,
};

static const struct qemu_source *source_of(const struct cp_mem *mem)
{
	if (mem->ops != &cp_mem_qemu_ops && mem->ops != &cp_mem_qmp_ops &&
	    mem->ops != &cp_mem_libvirt_ops)
		return NULL;
	return mem->priv;
}

const char *cp_qemu_layout_origin(const struct cp_mem *mem)
{
	const struct qemu_source *q = source_of(mem);
	return q ? q->origin : NULL;
}

pid_t cp_qemu_pid(const struct cp_mem *mem)
{
	const struct qemu_source *q = source_of(mem);
	return q ? q->pid : 0;
}

bool cp_qemu_zero_copy(const struct cp_mem *mem)
{
	const struct qemu_source *q = source_of(mem);
	return q && q->zero_copy;
}
