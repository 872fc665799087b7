/*
 * sockets_internal.h - what sockets.c, sockets_inet.c and sockets_unix.c
 * share: the resolved struct members, the walk's state, the hash-chain
 * walker and the reader of one sock's common fields.
 *
 * Not for: anything outside the three socket files (sockets.h is the API).
 */
#ifndef CP_LINUX_SOCKETS_INTERNAL_H
#define CP_LINUX_SOCKETS_INTERNAL_H

#include "linux/kread.h"
#include "linux/sockets.h"
#include "util/vector.h"

/* Bounds on what a guest can make us do. */
#define CP_SOCK_MAX_SOCKETS	(1u << 20)	/* sockets in all tables */
#define CP_SOCK_MAX_CHAIN	(1u << 16)	/* entries in one hash chain */
#define CP_SOCK_MAX_BUCKETS	(1u << 24)	/* slots in one hash table */
#define CP_SOCK_MAX_NETNS	4096
/*
 * UNIX_HASH_SIZE (include/net/af_unix.h): 256 unbound + 256 bound slots
 * per namespace since 5.19, where the table moved into struct net. A
 * #define, so BTF cannot tell it; checked against /proc/net/unix on every
 * lab kernel (6.1 to 7.2).
 */
#define CP_UNIX_HASH_SIZE	512

/* Linux constants that are #defines (not in BTF), stable for decades. */
enum {
	CP_AF_UNIX = 1,
	CP_AF_INET = 2,
	CP_AF_INET6 = 10,
	CP_IPPROTO_TCP = 6,
	CP_IPPROTO_UDP = 17,
	CP_SOCK_STREAM = 1,
	CP_SOCK_DGRAM = 2,
	CP_TCP_ESTABLISHED = 1,
	CP_TCP_SYN_RECV = 3,
	CP_TCP_TIME_WAIT = 6,
	CP_TCP_LISTEN = 10,
	CP_TCP_NEW_SYN_RECV = 12,
	CP_SS_UNCONNECTED = 1,
	CP_SS_CONNECTING = 2,
	CP_SS_CONNECTED = 3,
	CP_SS_DISCONNECTING = 4,
};

typedef struct cp_resolved_field cp_rf;

/* Every member the socket walkers read, resolved once per walk. */
struct cp_sock_fields {
	/* struct sock_common (the prefix of sock, tw and request socks) */
	cp_rf skc_daddr, skc_rcv_saddr, skc_dport, skc_num, skc_family,
		skc_state, skc_net, skc_v6_daddr, skc_v6_rcv_saddr, skc_node,
		skc_nulls_node;
	/* struct sock */
	cp_rf sk_type, sk_protocol, sk_uid, sk_socket, sk_ino, sk_ack_backlog,
		sk_rmem_alloc, sk_wmem_alloc;
	/* struct socket, socket_alloc, inode */
	cp_rf socket_sk, socket_file, sa_socket, sa_vfs_inode, i_ino;
	/* timewait and request socks */
	cp_rf tw_substate, rsk_listener;
	/* struct tcp_sock */
	cp_rf rcv_nxt, copied_seq, write_seq, snd_una;
	/* inet_hashinfo and its buckets */
	cp_rf ehash, ehash_mask, lhash2, lhash2_mask, ilb_nulls_head;
	uint64_t ehash_bucket_size, lhash_bucket_size;
	/* udp_table and udp_hslot */
	cp_rf udp_hash, udp_mask, hslot_head;
	uint64_t hslot_size;
	/* struct net */
	cp_rf net_list, net_inum, net_tcp_hashinfo, net_udp_table,
		net_unix_buckets;
	/* unix_sock, unix_address */
	cp_rf unix_addr, unix_peer, ua_len, ua_name;
	/* processes and their fd tables */
	cp_rf task_tasks, task_tgid, task_comm, task_files, files_fdt,
		fdt_max_fds, fdt_fd, file_f_op, file_private_data;
};

struct cp_sock_netns {
	uint64_t net;
	uint32_t inum;
};

CP_DEFINE_VECTOR(cp_sock_vector, struct cp_socket)
CP_DEFINE_VECTOR(cp_netns_vector, struct cp_sock_netns)
CP_DEFINE_VECTOR(cp_va_vector, uint64_t)

struct cp_sock_walk {
	struct cp_profile *p;
	struct cp_sock_fields f;
	struct cp_netns_vector nets;
	struct cp_sock_vector out;
	/* The first thing skipped, for the partial error; later ones count. */
	struct cp_walk_stop stop;
	size_t skipped;
	bool oom;
};

/* Records a skipped part (printf-style) without stopping the walk. */
void cp_sock_skip(struct cp_sock_walk *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Walks the hlist (nulls = false: ends at NULL) or hlist_nulls (ends at
 * an odd "nulls" marker) whose first pointer is at head_va, calling fn
 * with each node's address. Checks every node's pprev against the link
 * that led to it, guards against cycles, stops after CP_SOCK_MAX_CHAIN.
 * Problems are recorded with cp_sock_skip. Returns the nodes visited.
 */
typedef bool cp_sock_node_fn(struct cp_sock_walk *w, uint64_t node,
			     void *arg);
size_t cp_sock_hlist_walk(struct cp_sock_walk *w, uint64_t head_va,
			  bool nulls, const char *what, cp_sock_node_fn *fn,
			  void *arg);

/*
 * Walks nbuckets hash heads at base, stride bytes apart, each head at
 * head_off inside its bucket, with cp_sock_hlist_walk. Bucket arrays are
 * read a page at a time; only non-empty chains are followed.
 */
void cp_sock_walk_buckets(struct cp_sock_walk *w, uint64_t base,
			  uint64_t nbuckets, uint64_t stride,
			  uint64_t head_off, bool nulls, const char *what,
			  cp_sock_node_fn *fn, void *arg);

/* The inode number of the namespace at net (from the walked list, else
 * read from net->ns.inum). */
uint32_t cp_sock_netns_inum(struct cp_sock_walk *w, uint64_t net);

/*
 * Fills rec from the sock at sk: sock_common fields always; for
 * CP_SOCK_FULL also type, protocol, uid, inode. Returns false (nothing
 * usable) when the sock_common prefix cannot be read.
 */
bool cp_sock_read(struct cp_sock_walk *w, uint64_t sk, enum cp_sock_kind kind,
		  struct cp_socket *rec);
/* Appends rec (source table); false when out of memory or over bound. */
bool cp_sock_emit(struct cp_sock_walk *w, const struct cp_socket *rec);

/* sockets_inet.c / sockets_unix.c: the table walkers. */
void cp_sock_walk_tcp(struct cp_sock_walk *w);
void cp_sock_walk_udp(struct cp_sock_walk *w);
void cp_sock_walk_unix(struct cp_sock_walk *w);
/* inet details of a full sock (queues); unix details (path, peer). */
void cp_sock_read_inet_queues(struct cp_sock_walk *w, struct cp_socket *rec);
void cp_sock_read_unix(struct cp_sock_walk *w, struct cp_socket *rec);

#endif /* CP_LINUX_SOCKETS_INTERNAL_H */
