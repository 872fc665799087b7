/*
 * sockets.c - the socket walk's frame: which struct members it reads (one
 * table, alternatives as data), the network namespaces, the hash-chain
 * walker the table walkers share, the reader of one sock, and the owners
 * of sockets found through each process's fd table. The TCP/UDP tables
 * are walked in sockets_inet.c, unix ones in sockets_unix.c; the
 * `sockstat` view is in sockets_view.c.
 *
 * The fd-table walk here is deliberately small (socket files only): the
 * open-files view owns the general one and this should merge with it.
 *
 * Not for: formatting (sockets_view.c) or interfaces (netdev.c).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/sockets_internal.h"
#include "util/cleanup.h"
#include "util/error.h"

#define CP_SOCK_MAX_TASKS	(1u << 17)
#define CP_SOCK_MAX_FDS		(1u << 20)	/* per process (fs.nr_open) */

#define F(type, path, field) { type, path, false, &w->f.field }
#define OPT(type, path, field) { type, path, true, &w->f.field }

static struct cp_error *resolve_fields(struct cp_sock_walk *w)
{
	const struct cp_field_spec specs[] = {
		F("sock_common", "skc_daddr", skc_daddr),
		F("sock_common", "skc_rcv_saddr", skc_rcv_saddr),
		F("sock_common", "skc_dport", skc_dport),
		F("sock_common", "skc_num", skc_num),
		F("sock_common", "skc_family", skc_family),
		F("sock_common", "skc_state", skc_state),
		F("sock_common", "skc_net.net", skc_net),
		OPT("sock_common", "skc_v6_daddr", skc_v6_daddr),
		OPT("sock_common", "skc_v6_rcv_saddr", skc_v6_rcv_saddr),
		F("sock_common", "skc_node", skc_node),
		F("sock_common", "skc_nulls_node", skc_nulls_node),
		F("sock", "sk_type", sk_type),
		F("sock", "sk_protocol", sk_protocol),
		F("sock", "sk_uid", sk_uid),
		F("sock", "sk_socket", sk_socket),
		/* 7.x caches the inode number in the sock (sock_i_ino). */
		OPT("sock", "sk_ino", sk_ino),
		OPT("sock", "sk_ack_backlog", sk_ack_backlog),
		OPT("sock", "sk_backlog.rmem_alloc", sk_rmem_alloc),
		OPT("sock", "sk_wmem_alloc", sk_wmem_alloc),
		F("socket", "sk", socket_sk),
		F("socket", "file", socket_file),
		F("socket_alloc", "socket", sa_socket),
		F("socket_alloc", "vfs_inode", sa_vfs_inode),
		F("inode", "i_ino", i_ino),
		F("inet_timewait_sock", "tw_substate", tw_substate),
		F("request_sock", "rsk_listener|__req_common.skc_listener", rsk_listener),
		OPT("tcp_sock", "rcv_nxt", rcv_nxt),
		OPT("tcp_sock", "copied_seq", copied_seq),
		OPT("tcp_sock", "write_seq", write_seq),
		OPT("tcp_sock", "snd_una", snd_una),
		F("inet_hashinfo", "ehash", ehash),
		F("inet_hashinfo", "ehash_mask", ehash_mask),
		F("inet_hashinfo", "lhash2", lhash2),
		F("inet_hashinfo", "lhash2_mask", lhash2_mask),
		F("inet_listen_hashbucket", "nulls_head", ilb_nulls_head),
		F("udp_table", "hash", udp_hash),
		F("udp_table", "mask", udp_mask),
		F("udp_hslot", "head", hslot_head),
		F("net", "list", net_list),
		F("net", "ns.inum", net_inum),
		F("net", "ipv4.tcp_death_row.hashinfo", net_tcp_hashinfo),
		/* per-netns UDP tables: 6.2+ */
		OPT("net", "ipv4.udp_table", net_udp_table),
		F("net", "unx.table.buckets", net_unix_buckets),
		F("unix_sock", "addr", unix_addr),
		F("unix_sock", "peer", unix_peer),
		F("unix_address", "len", ua_len),
		F("unix_address", "name", ua_name),
		F("task_struct", "tasks", task_tasks),
		F("task_struct", "tgid", task_tgid),
		F("task_struct", "comm", task_comm),
		F("task_struct", "files", task_files),
		F("files_struct", "fdt", files_fdt),
		F("fdtable", "max_fds", fdt_max_fds),
		F("fdtable", "fd", fdt_fd),
		F("file", "f_op", file_f_op),
		F("file", "private_data", file_private_data),
	};
	struct cp_error *err = cp_fields_resolve(w->p, specs,
						 CP_ARRAY_SIZE(specs));
	if (err)
		return err;
	if ((err = cp_struct_size(w->p, "inet_ehash_bucket",
				  &w->f.ehash_bucket_size)) ||
	    (err = cp_struct_size(w->p, "inet_listen_hashbucket",
				  &w->f.lhash_bucket_size)) ||
	    (err = cp_struct_size(w->p, "udp_hslot", &w->f.hslot_size)))
		return err;
	if (!w->f.ehash_bucket_size || !w->f.lhash_bucket_size ||
	    !w->f.hslot_size)
		return cp_error_create(CP_ERR_CORRUPT,
				       "socket hash bucket types have size 0");
	return NULL;
}

#undef F
#undef OPT

void cp_sock_skip(struct cp_sock_walk *w, const char *fmt, ...)
{
	w->skipped++;
	if (w->stop.partial)
		return;
	va_list ap;
	va_start(ap, fmt);
	char reason[sizeof(w->stop.reason)];
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	cp_walk_stop_set(&w->stop, "%s", reason);
}

size_t cp_sock_hlist_walk(struct cp_sock_walk *w, uint64_t head_va,
			  bool nulls, const char *what, cp_sock_node_fn *fn,
			  void *arg)
{
	uint64_t node;
	struct cp_error *err = cp_read_u64(w->p, head_va, &node);
	if (err) {
		cp_sock_skip(w, "%s chain at 0x%" PRIx64 ": %s", what, head_va,
			     cp_error_message(err));
		cp_error_destroy(err);
		return 0;
	}
	/* pprev of each node must point at the link that led to it. */
	uint64_t link = head_va, saved = 0;
	size_t count = 0, power = 1, lambda = 0;
	while (node && !(nulls && (node & 1))) {
		uint64_t links[2];	/* next, pprev */
		if (count == CP_SOCK_MAX_CHAIN) {
			cp_sock_skip(w, "%s chain at 0x%" PRIx64 " longer than "
				     "%u entries", what, head_va,
				     CP_SOCK_MAX_CHAIN);
			break;
		}
		if (!cp_kernel_ptr_ok(node) || (node & 7)) {
			cp_sock_skip(w, "%s chain at 0x%" PRIx64 ": entry %zu "
				     "points to 0x%" PRIx64, what, head_va,
				     count, node);
			break;
		}
		if ((err = cp_kread(w->p, node, links, sizeof(links)))) {
			cp_sock_skip(w, "%s chain at 0x%" PRIx64 ": entry %zu: "
				     "%s", what, head_va, count,
				     cp_error_message(err));
			cp_error_destroy(err);
			break;
		}
		if (links[1] != link) {
			cp_sock_skip(w, "%s chain at 0x%" PRIx64 ": entry %zu "
				     "(0x%" PRIx64 ") pprev is 0x%" PRIx64
				     ", not 0x%" PRIx64 " (torn or forged)",
				     what, head_va, count, node, links[1],
				     link);
			break;
		}
		if (node == saved) {
			cp_sock_skip(w, "%s chain at 0x%" PRIx64 " loops at "
				     "0x%" PRIx64, what, head_va, node);
			break;
		}
		count++;
		if (!fn(w, node, arg))
			break;
		if (++lambda == power) {	/* Brent's cycle detection */
			saved = node;
			power *= 2;
			lambda = 0;
		}
		link = node;
		node = links[0];
	}
	return count;
}

/*
 * Walks nbuckets hash heads at base, stride bytes apart, each head at
 * head_off inside its bucket. Bucket arrays are read a page at a time
 * and only non-empty chains are followed.
 */
void cp_sock_walk_buckets(struct cp_sock_walk *w, uint64_t base,
			 uint64_t nbuckets, uint64_t stride, uint64_t head_off,
			 bool nulls, const char *what, cp_sock_node_fn *fn,
			 void *arg)
{
	uint8_t buf[4096];
	if (!stride || stride > sizeof(buf) || head_off + 8 > stride) {
		cp_sock_skip(w, "%s: bucket of %" PRIu64 " bytes", what,
			     stride);
		return;
	}
	if (!cp_kernel_ptr_ok(base)) {
		cp_sock_skip(w, "%s: table at 0x%" PRIx64, what, base);
		return;
	}
	if (nbuckets > CP_SOCK_MAX_BUCKETS) {
		cp_sock_skip(w, "%s: %" PRIu64 " buckets, reading %u", what,
			     nbuckets, CP_SOCK_MAX_BUCKETS);
		nbuckets = CP_SOCK_MAX_BUCKETS;
	}
	uint64_t per = sizeof(buf) / stride;
	for (uint64_t i = 0; i < nbuckets && !w->oom; i += per) {
		uint64_t n = nbuckets - i < per ? nbuckets - i : per;
		uint64_t at = base + i * stride;
		struct cp_error *err = cp_kread(w->p, at, buf, n * stride);
		if (err) {
			cp_sock_skip(w, "%s: buckets %" PRIu64 "-%" PRIu64
				     " at 0x%" PRIx64 ": %s", what, i,
				     i + n - 1, at, cp_error_message(err));
			cp_error_destroy(err);
			continue;
		}
		for (uint64_t j = 0; j < n; j++) {
			uint64_t first;
			memcpy(&first, buf + j * stride + head_off, 8);
			if (nulls ? (first & 1) != 0 : first == 0)
				continue;
			cp_sock_hlist_walk(w, at + j * stride + head_off, nulls,
					   what, fn, arg);
		}
	}
}

uint32_t cp_sock_netns_inum(struct cp_sock_walk *w, uint64_t net)
{
	for (size_t i = 0; i < w->nets.size; i++)
		if (w->nets.data[i].net == net)
			return w->nets.data[i].inum;
	uint32_t inum = 0;
	if (net && cp_kernel_ptr_ok(net)) {
		struct cp_error *err = cp_read_u32(w->p,
						   net + w->f.net_inum.offset,
						   &inum);
		cp_error_destroy(err);
		if (err)
			inum = 0;
	}
	return inum;
}

/* A field of a struct read whole into buf (bounds checked by the caller
 * sizing buf from the same fields). */
static uint64_t get_field(const uint8_t *buf, size_t len, const cp_rf *f)
{
	uint64_t v = 0;
	if (!f->found || f->offset + f->size > len || f->size > 8)
		return 0;
	memcpy(&v, buf + f->offset, f->size);
	return v;
}

static uint64_t read_field(struct cp_sock_walk *w, uint64_t base,
			   const cp_rf *f, bool *ok)
{
	uint64_t v = 0;
	if (!f->found) {
		*ok = false;
		return 0;
	}
	struct cp_error *err = cp_read_uint(w->p, base + f->offset,
					    (size_t)f->size, &v);
	if (err) {
		cp_error_destroy(err);
		*ok = false;
		return 0;
	}
	return v;
}

bool cp_sock_read(struct cp_sock_walk *w, uint64_t sk, enum cp_sock_kind kind,
		  struct cp_socket *rec)
{
	const struct cp_sock_fields *f = &w->f;
	/* sock_common up to the end of the IPv6 addresses, in one read. */
	uint8_t c[256];
	size_t len = f->skc_net.offset + 8;
	if (f->skc_v6_rcv_saddr.found &&
	    f->skc_v6_rcv_saddr.offset + 16 > len)
		len = f->skc_v6_rcv_saddr.offset + 16;
	if (f->skc_v6_daddr.found && f->skc_v6_daddr.offset + 16 > len)
		len = f->skc_v6_daddr.offset + 16;
	if (len > sizeof(c)) {
		cp_sock_skip(w, "sock_common larger than %zu bytes", sizeof(c));
		return false;
	}
	struct cp_error *err = cp_kread(w->p, sk, c, len);
	if (err) {
		cp_sock_skip(w, "sock 0x%" PRIx64 ": %s", sk,
			     cp_error_message(err));
		cp_error_destroy(err);
		return false;
	}
	memset(rec, 0, sizeof(*rec));
	rec->sk = sk;
	rec->kind = kind;
	rec->uid = -1;
	rec->pid = -1;
	rec->fd = -1;
	rec->family = (uint16_t)get_field(c, len, &f->skc_family);
	rec->state = (uint8_t)get_field(c, len, &f->skc_state);
	rec->net = get_field(c, len, &f->skc_net);
	rec->netns = cp_sock_netns_inum(w, rec->net);
	rec->local_port = (uint16_t)get_field(c, len, &f->skc_num);
	uint16_t dport = (uint16_t)get_field(c, len, &f->skc_dport);
	rec->remote_port = (uint16_t)((dport >> 8) | (dport << 8));
	if (rec->family == CP_AF_INET) {
		memcpy(rec->local, c + f->skc_rcv_saddr.offset, 4);
		memcpy(rec->remote, c + f->skc_daddr.offset, 4);
	} else if (rec->family == CP_AF_INET6 && f->skc_v6_rcv_saddr.found &&
		   f->skc_v6_daddr.found) {
		memcpy(rec->local, c + f->skc_v6_rcv_saddr.offset, 16);
		memcpy(rec->remote, c + f->skc_v6_daddr.offset, 16);
	}
	bool ok = true;
	switch (kind) {
	case CP_SOCK_TIMEWAIT:
		/* /proc/net/tcp shows the substate (TIME_WAIT, FIN_WAIT2),
		 * uid 0 and inode 0 for these. */
		rec->state = (uint8_t)read_field(w, sk, &f->tw_substate, &ok);
		rec->type = CP_SOCK_STREAM;
		rec->protocol = CP_IPPROTO_TCP;
		rec->uid = 0;
		return true;
	case CP_SOCK_REQUEST: {
		rec->state = CP_TCP_SYN_RECV;
		rec->type = CP_SOCK_STREAM;
		rec->protocol = CP_IPPROTO_TCP;
		uint64_t l = read_field(w, sk, &f->rsk_listener, &ok);
		if (ok && l && cp_kernel_ptr_ok(l)) {
			uint64_t uid = read_field(w, l, &f->sk_uid, &ok);
			if (ok)
				rec->uid = (int64_t)(uint32_t)uid;
		}
		return true;
	}
	case CP_SOCK_FULL:
		break;
	}
	rec->type = (uint16_t)read_field(w, sk, &f->sk_type, &ok);
	rec->protocol = (uint16_t)read_field(w, sk, &f->sk_protocol, &ok);
	ok = true;
	uint64_t uid = read_field(w, sk, &f->sk_uid, &ok);
	if (ok)
		rec->uid = (int64_t)(uint32_t)uid;
	/* sock_i_ino(): the socket's inode, 0 for an orphaned sock. */
	ok = true;
	uint64_t sock = read_field(w, sk, &f->sk_socket, &ok);
	if (f->sk_ino.found) {
		rec->inode = read_field(w, sk, &f->sk_ino, &ok);
	} else if (ok && sock && cp_kernel_ptr_ok(sock)) {
		uint64_t inode = sock - f->sa_socket.offset +
				 f->sa_vfs_inode.offset;
		rec->inode = read_field(w, inode, &f->i_ino, &ok);
	}
	if (rec->family == CP_AF_UNIX)
		cp_sock_read_unix(w, rec);
	else if (rec->family == CP_AF_INET || rec->family == CP_AF_INET6)
		cp_sock_read_inet_queues(w, rec);
	return true;
}

bool cp_sock_emit(struct cp_sock_walk *w, const struct cp_socket *rec)
{
	if (w->out.size >= CP_SOCK_MAX_SOCKETS) {
		cp_sock_skip(w, "more than %u sockets", CP_SOCK_MAX_SOCKETS);
		return false;
	}
	struct cp_socket *e = cp_sock_vector_append_entry(&w->out);
	if (!e) {
		w->oom = true;
		return false;
	}
	*e = *rec;
	e->source |= CP_SOCK_IN_TABLE;
	return true;
}

/* ------------------------------------------------------- namespaces */

static bool add_netns(void *arg, uint64_t node)
{
	struct cp_sock_walk *w = arg;
	uint64_t net = node - w->f.net_list.offset;
	uint32_t inum = 0;
	struct cp_error *err = cp_read_u32(w->p, net + w->f.net_inum.offset,
					   &inum);
	if (err) {
		cp_sock_skip(w, "netns 0x%" PRIx64 ": %s", net,
			     cp_error_message(err));
		cp_error_destroy(err);
		return true;
	}
	struct cp_sock_netns ns = { net, inum };
	if (!cp_netns_vector_append(&w->nets, &ns)) {
		w->oom = true;
		return false;
	}
	return true;
}

static void collect_netns(struct cp_sock_walk *w)
{
	uint64_t head;
	if (cp_profile_symbol(w->p, "net_namespace_list", &head)) {
		struct cp_walk_stop stop = { 0 };
		cp_list_walk(w->p, head, CP_SOCK_MAX_NETNS, add_netns, w,
			     &stop);
		if (stop.partial)
			cp_sock_skip(w, "net_namespace_list: %s", stop.reason);
	}
	uint64_t init_net;
	if (!w->nets.size && cp_profile_symbol(w->p, "init_net", &init_net)) {
		cp_sock_skip(w, "no net_namespace_list: init_net only");
		add_netns(w, init_net + w->f.net_list.offset);
	}
}

/* ---------------------------------------------------------- owners */

struct owner_ctx {
	struct cp_sock_walk *w;
	uint64_t socket_fops;
	uint64_t *by_sk;	/* sorted sk addresses -> index in out */
	size_t *idx;
	size_t n;
	size_t tasks;
};

static int cmp_sk_index(const void *a, const void *b, void *arg)
{
	const struct cp_socket *s = arg;
	uint64_t x = s[*(const size_t *)a].sk, y = s[*(const size_t *)b].sk;
	return x < y ? -1 : x > y;
}

static struct cp_socket *find_sock(struct owner_ctx *o, uint64_t sk)
{
	size_t lo = 0, hi = o->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t v = o->w->out.data[o->idx[mid]].sk;
		if (v == sk)
			return &o->w->out.data[o->idx[mid]];
		if (v < sk)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void note_owner(struct owner_ctx *o, uint64_t sk, int64_t pid,
		       int32_t fd, const char *comm)
{
	struct cp_sock_walk *w = o->w;
	struct cp_socket *s = find_sock(o, sk);
	/* Sockets added below are not in the sorted index: few, so a scan
	 * finds one held by a second fd (a forked child's copy). */
	for (size_t i = o->n; !s && i < w->out.size; i++)
		if (w->out.data[i].sk == sk)
			s = &w->out.data[i];
	if (!s) {
		/* In no table we walked: another family, or hidden from
		 * the tables. Read it as the fd table shows it. */
		struct cp_socket rec;
		if (!cp_sock_read(w, sk, CP_SOCK_FULL, &rec))
			return;
		rec.source = CP_SOCK_IN_FD;
		if (w->out.size >= CP_SOCK_MAX_SOCKETS ||
		    !cp_sock_vector_append(&w->out, &rec)) {
			w->oom = w->out.size < CP_SOCK_MAX_SOCKETS;
			return;
		}
		s = &w->out.data[w->out.size - 1];
	}
	s->source |= CP_SOCK_IN_FD;
	s->owners++;
	if (s->pid < 0 || pid < s->pid) {
		s->pid = pid;
		s->fd = fd;
		snprintf(s->comm, sizeof(s->comm), "%s", comm);
	}
}

static void walk_fds(struct owner_ctx *o, uint64_t task, int64_t pid,
		     const char *comm)
{
	struct cp_sock_walk *w = o->w;
	const struct cp_sock_fields *f = &w->f;
	uint64_t files, fdt, fdarr;
	uint32_t max_fds;
	struct cp_error *err;
	if ((err = cp_read_ptr(w->p, task + f->task_files.offset, &files)) ||
	    !files)
		goto out;	/* kernel threads and exiting tasks: none */
	if ((err = cp_read_ptr(w->p, files + f->files_fdt.offset, &fdt)) ||
	    !fdt ||
	    (err = cp_read_u32(w->p, fdt + f->fdt_max_fds.offset, &max_fds)) ||
	    (err = cp_read_ptr(w->p, fdt + f->fdt_fd.offset, &fdarr)))
		goto out;
	if (max_fds > CP_SOCK_MAX_FDS) {
		cp_sock_skip(w, "pid %" PRId64 ": max_fds %u, reading the "
			     "first %u", pid, max_fds, CP_SOCK_MAX_FDS);
		max_fds = CP_SOCK_MAX_FDS;
	}
	uint64_t chunk[512];
	for (uint32_t base = 0; fdarr && base < max_fds; base += 512) {
		uint32_t n = max_fds - base < 512 ? max_fds - base : 512;
		if ((err = cp_kread(w->p, fdarr + (uint64_t)base * 8, chunk,
				    n * 8)))
			goto out;
		for (uint32_t i = 0; i < n; i++) {
			uint64_t file = chunk[i], fop, sock, sk;
			if (!file || !cp_kernel_ptr_ok(file))
				continue;
			/* Socket files are those with socket_file_ops; their
			 * private_data is the struct socket. */
			if (cp_read_ptr(w->p, file + f->file_f_op.offset, &fop))
				continue;
			if (fop != o->socket_fops)
				continue;
			struct cp_error *e2;
			if ((e2 = cp_read_ptr(w->p,
					      file + f->file_private_data.offset,
					      &sock)) || !sock ||
			    (e2 = cp_read_ptr(w->p, sock + f->socket_sk.offset,
					      &sk)) || !sk) {
				cp_error_destroy(e2);
				continue;
			}
			note_owner(o, sk, pid, (int32_t)(base + i), comm);
		}
	}
out:
	if (err) {
		cp_sock_skip(w, "fd table of pid %" PRId64 ": %s", pid,
			     cp_error_message(err));
		cp_error_destroy(err);
	}
}

static bool owner_task(void *arg, uint64_t node)
{
	struct owner_ctx *o = arg;
	struct cp_sock_walk *w = o->w;
	uint64_t task = node - w->f.task_tasks.offset;
	uint32_t tgid = 0;
	char comm[17] = "";
	struct cp_error *err = cp_read_u32(w->p, task + w->f.task_tgid.offset,
					   &tgid);
	if (!err)
		err = cp_read_cstr(w->p, task + w->f.task_comm.offset, comm,
				   sizeof(comm) - 1);
	if (err) {
		cp_sock_skip(w, "task 0x%" PRIx64 ": %s", task,
			     cp_error_message(err));
		cp_error_destroy(err);
		return true;
	}
	o->tasks++;
	walk_fds(o, task, tgid, comm);
	return !w->oom;
}

/*
 * Thread-group leaders only (init_task.tasks): threads share their
 * leader's files_struct unless made with clone(!CLONE_FILES), a gap
 * the open-files view closes.
 */
static void find_owners(struct cp_sock_walk *w)
{
	struct owner_ctx o = { .w = w };
	uint64_t init_task;
	if (!cp_profile_symbol(w->p, "socket_file_ops", &o.socket_fops) ||
	    !cp_profile_symbol(w->p, "init_task", &init_task)) {
		cp_sock_skip(w, "no socket_file_ops or init_task symbol: "
			     "owners unknown");
		return;
	}
	o.n = w->out.size;
	_cleanup_free_ size_t *idx = calloc(o.n ? o.n : 1, sizeof(*idx));
	if (!idx) {
		w->oom = true;
		return;
	}
	for (size_t i = 0; i < o.n; i++)
		idx[i] = i;
	qsort_r(idx, o.n, sizeof(*idx), cmp_sk_index, w->out.data);
	o.idx = idx;
	struct cp_walk_stop stop = { 0 };
	/* init_task (pid 0) holds no files; the list starts after it. */
	cp_list_walk(w->p, init_task + w->f.task_tasks.offset,
		     CP_SOCK_MAX_TASKS, owner_task, &o, &stop);
	if (stop.partial)
		cp_sock_skip(w, "task list: %s", stop.reason);
}

/* ------------------------------------------------------------ collect */

static int cmp_socket(const void *a, const void *b)
{
	const struct cp_socket *x = a, *y = b;
#define CMP(field) if (x->field != y->field) return x->field < y->field ? -1 : 1
	CMP(netns);
	CMP(family);
	CMP(protocol);
	CMP(type);
	int c = memcmp(x->local, y->local, sizeof(x->local));
	if (c)
		return c;
	CMP(local_port);
	if ((c = memcmp(x->path, y->path, sizeof(x->path))))
		return c;
	if ((c = memcmp(x->remote, y->remote, sizeof(x->remote))))
		return c;
	CMP(remote_port);
	CMP(inode);
	CMP(sk);
#undef CMP
	return 0;
}

struct cp_error *cp_sockets_collect(struct cp_profile *p,
				    struct cp_socket_list *list)
{
	list->sockets = NULL;
	list->count = 0;
	struct cp_sock_walk w = { .p = p };
	struct cp_error *err = resolve_fields(&w);
	if (err)
		return cp_error_wrap(err, "sockets");
	collect_netns(&w);
	if (!w.oom)
		cp_sock_walk_tcp(&w);
	if (!w.oom)
		cp_sock_walk_udp(&w);
	if (!w.oom)
		cp_sock_walk_unix(&w);
	if (!w.oom)
		find_owners(&w);
	cp_netns_vector_deinit(&w.nets);
	if (w.oom) {
		cp_sock_vector_deinit(&w.out);
		return &cp_enomem;
	}
	if (w.out.size)
		qsort(w.out.data, w.out.size, sizeof(*w.out.data), cmp_socket);
	list->sockets = w.out.data;
	list->count = w.out.size;
	if (w.stop.partial)
		return cp_error_create(CP_ERR_PARTIAL,
				       "sockets: %zu part%s skipped, first: %s",
				       w.skipped, w.skipped == 1 ? "" : "s",
				       w.stop.reason);
	return NULL;
}

void cp_socket_list_free(struct cp_socket_list *list)
{
	free(list->sockets);
	list->sockets = NULL;
	list->count = 0;
}
