/*
 * sockets_inet.c - TCP and UDP sockets (IPv4 and IPv6) from the kernel's
 * lookup tables.
 *
 * TCP: struct inet_hashinfo. Listeners hang off lhash2 (struct
 * inet_listen_hashbucket, an hlist_nulls through sock_common's
 * skc_nulls_node); everything with a full 4-tuple hangs off ehash (an
 * hlist_nulls of the same node): established and closing socks, time-wait
 * socks (struct inet_timewait_sock, only a sock_common prefix) and SYN_RECV
 * requests (struct request_sock, state TCP_NEW_SYN_RECV). The global table
 * is tcp_hashinfo; since 6.1 a namespace may own an ehash
 * (net.ipv4.tcp_child_ehash_entries), reached through
 * net->ipv4.tcp_death_row.hashinfo, while lhash2 stays shared. Each
 * distinct table is walked once; every sock says its own namespace.
 *
 * UDP: struct udp_table, hash slot array by local port (udp_hslot.head, an
 * hlist through skc_node), v4 and v6 alike; global udp_table plus, from
 * 6.2, per-namespace tables at net->ipv4.udp_table.
 *
 * Not for: UDP-Lite (udplite_table), raw sockets, MPTCP's own socks.
 */
#include <inttypes.h>
#include <string.h>

#include "linux/sockets_internal.h"
#include "util/error.h"

/* Distinct addresses, in first-seen order (a handful of tables). */
static bool add_unique(struct cp_va_vector *v, uint64_t va)
{
	for (size_t i = 0; i < v->size; i++)
		if (v->data[i] == va)
			return true;
	return cp_va_vector_append(v, &va);
}

static bool is_inet(uint16_t family)
{
	return family == CP_AF_INET || family == CP_AF_INET6;
}

static bool tcp_node(struct cp_sock_walk *w, uint64_t node, void *arg)
{
	(void)arg;
	uint64_t sk = node - w->f.skc_nulls_node.offset;
	uint8_t state;
	struct cp_error *err = cp_read_u8(w->p, sk + w->f.skc_state.offset,
					  &state);
	if (err) {
		cp_sock_skip(w, "tcp sock 0x%" PRIx64 ": %s", sk,
			     cp_error_message(err));
		cp_error_destroy(err);
		return true;
	}
	enum cp_sock_kind kind = state == CP_TCP_TIME_WAIT ? CP_SOCK_TIMEWAIT :
				 state == CP_TCP_NEW_SYN_RECV ? CP_SOCK_REQUEST :
				 CP_SOCK_FULL;
	struct cp_socket rec;
	if (!cp_sock_read(w, sk, kind, &rec))
		return true;
	if (!is_inet(rec.family)) {
		cp_sock_skip(w, "tcp table holds sock 0x%" PRIx64 " of family "
			     "%u", sk, rec.family);
		return true;
	}
	return cp_sock_emit(w, &rec);
}

static void walk_hashinfo(struct cp_sock_walk *w, uint64_t h,
			  struct cp_va_vector *lhash_seen)
{
	const struct cp_sock_fields *f = &w->f;
	uint64_t ehash, lhash2, emask, lmask;
	struct cp_error *err;
	if ((err = cp_read_ptr(w->p, h + f->ehash.offset, &ehash)) ||
	    (err = cp_read_uint(w->p, h + f->ehash_mask.offset,
				(size_t)f->ehash_mask.size, &emask)) ||
	    (err = cp_read_ptr(w->p, h + f->lhash2.offset, &lhash2)) ||
	    (err = cp_read_uint(w->p, h + f->lhash2_mask.offset,
				(size_t)f->lhash2_mask.size, &lmask))) {
		cp_sock_skip(w, "inet_hashinfo 0x%" PRIx64 ": %s", h,
			     cp_error_message(err));
		cp_error_destroy(err);
		return;
	}
	/* lhash2 is shared between the global and per-netns tables. */
	size_t seen = lhash_seen->size;
	if (lhash2 && !add_unique(lhash_seen, lhash2)) {
		w->oom = true;
		return;
	}
	if (lhash2 && lhash_seen->size > seen)
		cp_sock_walk_buckets(w, lhash2, lmask + 1, f->lhash_bucket_size,
			     f->ilb_nulls_head.offset, true, "tcp lhash2",
			     tcp_node, NULL);
	if (ehash)
		cp_sock_walk_buckets(w, ehash, emask + 1, f->ehash_bucket_size, 0, true,
			     "tcp ehash", tcp_node, NULL);
}

void cp_sock_walk_tcp(struct cp_sock_walk *w)
{
	struct cp_va_vector tables, lhash;
	cp_va_vector_init(&tables);
	cp_va_vector_init(&lhash);
	uint64_t global;
	if (cp_profile_symbol(w->p, "tcp_hashinfo", &global)) {
		if (!add_unique(&tables, global))
			w->oom = true;
	} else {
		cp_sock_skip(w, "no tcp_hashinfo symbol");
	}
	for (size_t i = 0; i < w->nets.size && !w->oom; i++) {
		uint64_t h;
		struct cp_error *err = cp_read_ptr(
			w->p, w->nets.data[i].net + w->f.net_tcp_hashinfo.offset,
			&h);
		if (err) {
			cp_sock_skip(w, "netns %u tcp hashinfo: %s",
				     w->nets.data[i].inum, cp_error_message(err));
			cp_error_destroy(err);
		} else if (h && !add_unique(&tables, h)) {
			w->oom = true;
		}
	}
	for (size_t i = 0; i < tables.size && !w->oom; i++)
		walk_hashinfo(w, tables.data[i], &lhash);
	cp_va_vector_deinit(&tables);
	cp_va_vector_deinit(&lhash);
}

static bool udp_node(struct cp_sock_walk *w, uint64_t node, void *arg)
{
	(void)arg;
	uint64_t sk = node - w->f.skc_node.offset;
	struct cp_socket rec;
	if (!cp_sock_read(w, sk, CP_SOCK_FULL, &rec))
		return true;
	if (!is_inet(rec.family)) {
		cp_sock_skip(w, "udp table holds sock 0x%" PRIx64 " of family "
			     "%u", sk, rec.family);
		return true;
	}
	return cp_sock_emit(w, &rec);
}

void cp_sock_walk_udp(struct cp_sock_walk *w)
{
	const struct cp_sock_fields *f = &w->f;
	struct cp_va_vector tables;
	cp_va_vector_init(&tables);
	uint64_t global;
	if (cp_profile_symbol(w->p, "udp_table", &global)) {
		if (!add_unique(&tables, global))
			w->oom = true;
	} else {
		cp_sock_skip(w, "no udp_table symbol");
	}
	for (size_t i = 0; f->net_udp_table.found && i < w->nets.size &&
			   !w->oom; i++) {
		uint64_t t;
		struct cp_error *err = cp_read_ptr(
			w->p, w->nets.data[i].net + f->net_udp_table.offset, &t);
		if (err) {
			cp_sock_skip(w, "netns %u udp table: %s",
				     w->nets.data[i].inum, cp_error_message(err));
			cp_error_destroy(err);
		} else if (t && !add_unique(&tables, t)) {
			w->oom = true;
		}
	}
	for (size_t i = 0; i < tables.size && !w->oom; i++) {
		uint64_t t = tables.data[i], hash, mask;
		struct cp_error *err;
		if ((err = cp_read_ptr(w->p, t + f->udp_hash.offset, &hash)) ||
		    (err = cp_read_uint(w->p, t + f->udp_mask.offset,
					(size_t)f->udp_mask.size, &mask))) {
			cp_sock_skip(w, "udp_table 0x%" PRIx64 ": %s", t,
				     cp_error_message(err));
			cp_error_destroy(err);
			continue;
		}
		if (hash)
			cp_sock_walk_buckets(w, hash, mask + 1, f->hslot_size,
				     f->hslot_head.offset, false, "udp hash",
				     udp_node, NULL);
	}
	cp_va_vector_deinit(&tables);
}

static uint64_t rd(struct cp_sock_walk *w, uint64_t base, const cp_rf *f,
		   bool *ok)
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
	}
	return v;
}

/* The tx_queue and rx_queue columns of /proc/net/{tcp,udp}. */
void cp_sock_read_inet_queues(struct cp_sock_walk *w, struct cp_socket *rec)
{
	const struct cp_sock_fields *f = &w->f;
	bool ok = true;
	if (rec->protocol == CP_IPPROTO_TCP && rec->type == CP_SOCK_STREAM) {
		uint32_t rx;
		if (rec->state == CP_TCP_LISTEN) {
			rx = (uint32_t)rd(w, rec->sk, &f->sk_ack_backlog, &ok);
		} else {
			int32_t d = (int32_t)((uint32_t)rd(w, rec->sk, &f->rcv_nxt,
							   &ok) -
					      (uint32_t)rd(w, rec->sk,
							   &f->copied_seq, &ok));
			rx = d > 0 ? (uint32_t)d : 0;
		}
		uint32_t tx = (uint32_t)rd(w, rec->sk, &f->write_seq, &ok) -
			      (uint32_t)rd(w, rec->sk, &f->snd_una, &ok);
		if (ok) {
			rec->has_queues = true;
			rec->rx_queue = rx;
			rec->tx_queue = tx;
		}
	} else if (rec->protocol == CP_IPPROTO_UDP) {
		uint32_t rx = (uint32_t)rd(w, rec->sk, &f->sk_rmem_alloc, &ok);
		uint32_t wm = (uint32_t)rd(w, rec->sk, &f->sk_wmem_alloc, &ok);
		if (ok) {
			rec->has_queues = true;
			rec->rx_queue = rx;
			rec->tx_queue = wm ? wm - 1 : 0;
		}
	}
}
