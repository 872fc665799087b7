/*
 * sockets_unix.c - unix (AF_UNIX) sockets from each network namespace's
 * table: net->unx.table.buckets, CP_UNIX_HASH_SIZE hlist heads through
 * sock_common.skc_node (5.19+: unbound sockets hashed in the first half,
 * bound ones in the second; every socket is in exactly one slot).
 *
 * A socket's name is unix_sock.addr (struct unix_address: len, then a
 * struct sockaddr_un of that length); its peer is unix_sock.peer.
 *
 * Not for: the bound-name index (bsd_socket_buckets), which holds the same
 * sockets again; or the garbage collector's in-flight lists.
 */
#include <inttypes.h>
#include <string.h>

#include "linux/sockets_internal.h"
#include "util/error.h"

static bool unix_node(struct cp_sock_walk *w, uint64_t node, void *arg)
{
	(void)arg;
	uint64_t sk = node - w->f.skc_node.offset;
	struct cp_socket rec;
	if (!cp_sock_read(w, sk, CP_SOCK_FULL, &rec))
		return true;
	if (rec.family != CP_AF_UNIX) {
		cp_sock_skip(w, "unix table holds sock 0x%" PRIx64 " of family "
			     "%u", sk, rec.family);
		return true;
	}
	return cp_sock_emit(w, &rec);
}

void cp_sock_walk_unix(struct cp_sock_walk *w)
{
	for (size_t i = 0; i < w->nets.size && !w->oom; i++) {
		uint64_t buckets;
		struct cp_error *err = cp_read_ptr(
			w->p, w->nets.data[i].net + w->f.net_unix_buckets.offset,
			&buckets);
		if (err) {
			cp_sock_skip(w, "netns %u unix table: %s",
				     w->nets.data[i].inum, cp_error_message(err));
			cp_error_destroy(err);
			continue;
		}
		if (buckets)
			cp_sock_walk_buckets(w, buckets, CP_UNIX_HASH_SIZE, 8, 0,
					     false, "unix table", unix_node,
					     NULL);
	}
}

void cp_sock_read_unix(struct cp_sock_walk *w, struct cp_socket *rec)
{
	const struct cp_sock_fields *f = &w->f;
	uint8_t sk_state = rec->state;
	memset(rec->local, 0, sizeof(rec->local));
	memset(rec->remote, 0, sizeof(rec->remote));
	rec->local_port = rec->remote_port = 0;
	rec->listening = sk_state == CP_TCP_LISTEN;
	/* /proc/net/unix's St: from sk_state and whether a socket is
	 * attached (unix_seq_show). */
	uint64_t sock = 0, addr = 0, peer = 0;
	struct cp_error *err = cp_read_ptr(w->p, rec->sk + f->sk_socket.offset,
					   &sock);
	cp_error_destroy(err);
	bool est = sk_state == CP_TCP_ESTABLISHED;
	rec->state = sock ? (est ? CP_SS_CONNECTED : CP_SS_UNCONNECTED)
			  : (est ? CP_SS_CONNECTING : CP_SS_DISCONNECTING);
	if (!(err = cp_read_ptr(w->p, rec->sk + f->unix_peer.offset, &peer)))
		rec->peer = peer;
	cp_error_destroy(err);
	if ((err = cp_read_ptr(w->p, rec->sk + f->unix_addr.offset, &addr)) ||
	    !addr) {
		cp_error_destroy(err);
		return;
	}
	int32_t len;
	if ((err = cp_read_u32(w->p, addr + f->ua_len.offset,
			       (uint32_t *)&len))) {
		cp_sock_skip(w, "unix sock 0x%" PRIx64 " address: %s", rec->sk,
			     cp_error_message(err));
		cp_error_destroy(err);
		return;
	}
	/* len counts sun_family (2 bytes) and, for a path, its NUL. */
	int32_t plen = len - 2;
	if (plen <= 0)
		return;
	if (plen > CP_UNIX_PATH_MAX) {
		cp_sock_skip(w, "unix sock 0x%" PRIx64 " address length %d",
			     rec->sk, len);
		plen = CP_UNIX_PATH_MAX;
	}
	if ((err = cp_kread(w->p, addr + f->ua_name.offset + 2, rec->path,
			    (size_t)plen))) {
		cp_sock_skip(w, "unix sock 0x%" PRIx64 " name: %s", rec->sk,
			     cp_error_message(err));
		cp_error_destroy(err);
		memset(rec->path, 0, sizeof(rec->path));
		return;
	}
	rec->path_len = (uint8_t)plen;
}

size_t cp_unix_path_format(const uint8_t *sun_path, size_t len, char *out,
			   size_t outsz)
{
	if (!outsz)
		return 0;
	if (len > CP_UNIX_PATH_MAX)
		len = CP_UNIX_PATH_MAX;
	size_t i = 0, o = 0;
	if (len && sun_path[0]) {
		len--;		/* the terminating NUL the kernel counts */
	} else if (len) {
		if (o + 1 < outsz)
			out[o++] = '@';
		i = 1;
	}
	for (; i < len && o + 1 < outsz; i++)
		out[o++] = sun_path[i] ? (char)sun_path[i] : '@';
	out[o] = '\0';
	return o;
}
