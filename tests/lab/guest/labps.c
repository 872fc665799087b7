/*
 * labps: the guest's own view of itself for the lab's truth channel: the
 * process and thread list, per-process details, network interfaces, module
 * parameters, eBPF objects, the kernel log, and the per-process and
 * per-namespace files of a snapshot.
 *
 * Reads /proc, /sys, netlink and bpf(2) itself, because busybox tool output
 * varies between builds and a shell loop forking `cat` per file does not
 * scale to thousands of processes.  Modes:
 *
 *   labps            ps: one line per thread (format below)
 *   labps -T FILE    ps, and the tasks table into FILE, from one pass
 *   labps -u         pids of user processes (not kernel threads), one a line
 *   labps -t TABLE   one tab-separated table with a header line: procs,
 *                    fds, ifaces, addrs, modparams, bpf_progs, bpf_maps;
 *                    or kinfo (key=value lines, no header)
 *   labps -k         /dev/kmsg records, read without blocking
 *   labps -F SNAP    the per-process and per-namespace files as truth frames
 *                    ("CPLAB-T SNAP NAME raw LEN\n" LEN bytes "\n"): maps/PID,
 *                    environ/PID, netns/INUM/{tcp,tcp6,udp,udp6,unix,dev} and
 *                    mntns/INUM/mountinfo for namespaces other than labps's
 *
 * ps columns: pid tid ppid uid euid gid state kthread start comm args.  pid
 * is the tgid, tid the thread id (tid == pid for the group leader); ppid the
 * parent's tgid; uid/euid/gid from status; state the stat letter; kthread 1
 * for PF_KTHREAD; start the stat starttime (clock ticks since boot); comm the
 * thread's own; args the process's argv, elements escaped and joined by one
 * space (empty for kernel threads).  Escaping everywhere: backslash -> \\,
 * tab -> \t, newline -> \n, space (args only) -> \x20, other bytes < 0x20 or
 * >= 0x7f -> \xHH.  In the -t tables "-" means "absent"; the columns are
 * documented in tests/lab/README.md (the one place to keep them).
 *
 * Not for: anything but the lab guest; it trusts /proc, and it changes its
 * own network namespace (setns) while listing other namespaces' interfaces.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PF_KTHREAD 0x00200000UL
#define MAXNS 256

struct task {
    long tid, ppid;
    char state;
    unsigned long flags;
    unsigned long long start, utime, stime;
    char comm[64];
    long uid[4], gid[4]; /* real, effective, saved, filesystem */
};

static FILE *out; /* where put_escaped() and friends write: stdout, or the tasks table */

static void put_escaped(const unsigned char *s, size_t n, int escape_space)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '\\')
            fputs("\\\\", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c == '\n')
            fputs("\\n", out);
        else if ((c == ' ' && escape_space) || c < 0x20 || c >= 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            putc(c, out);
    }
}

static void put_str(const char *s) /* an escaped text column, "-" if absent */
{
    if (s)
        put_escaped((const unsigned char *)s, strlen(s), 0);
    else
        putc('-', out);
}

static ssize_t read_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = 0;
    ssize_t r;
    while (n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0)
        n += (size_t)r;
    close(fd);
    buf[n] = 0;
    return (ssize_t)n;
}

/* Split /proc/.../stat after "(comm)" so that field[k] is stat field k. */
static int stat_fields(char *buf, char **field, int max, char *comm, size_t comm_size)
{
    char *open = strchr(buf, '('), *close = strrchr(buf, ')');
    if (!open || !close || close < open)
        return -1;
    size_t clen = (size_t)(close - open - 1);
    if (clen >= comm_size)
        clen = comm_size - 1;
    memcpy(comm, open + 1, clen);
    comm[clen] = 0;
    int i = 3;
    char *save;
    for (char *tok = strtok_r(close + 2, " \n", &save); tok && i < max; tok = strtok_r(NULL, " \n", &save))
        field[i++] = tok;
    return i;
}

/* Parse DIR/stat and (unless STAT_ONLY) DIR/status; 0 on success, -1 if the task is gone. */
static int read_task(const char *dir, struct task *t, int stat_only)
{
    char path[256], buf[4096];
    char *field[24] = {0};
    snprintf(path, sizeof path, "%s/stat", dir);
    if (read_file(path, buf, sizeof buf) <= 0)
        return -1;
    t->tid = strtol(buf, NULL, 10);
    if (stat_fields(buf, field, 24, t->comm, sizeof t->comm) < 23)
        return -1;
    t->state = field[3][0];
    t->ppid = strtol(field[4], NULL, 10);
    t->flags = strtoul(field[9], NULL, 10);
    t->utime = strtoull(field[14], NULL, 10);
    t->stime = strtoull(field[15], NULL, 10);
    t->start = strtoull(field[22], NULL, 10);

    for (int i = 0; i < 4; i++)
        t->uid[i] = t->gid[i] = -1;
    snprintf(path, sizeof path, "%s/status", dir);
    if (!stat_only && read_file(path, buf, sizeof buf) > 0) {
        char *u = strstr(buf, "\nUid:"), *g = strstr(buf, "\nGid:");
        if (u)
            sscanf(u + 5, "%ld %ld %ld %ld", &t->uid[0], &t->uid[1], &t->uid[2], &t->uid[3]);
        if (g)
            sscanf(g + 5, "%ld %ld %ld %ld", &t->gid[0], &t->gid[1], &t->gid[2], &t->gid[3]);
    }
    return 0;
}

static int numeric(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

static void print_args(long pid)
{
    char path[64];
    static char buf[1 << 17];
    snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
    ssize_t n = read_file(path, buf, sizeof buf);
    if (n <= 0)
        return;
    if (buf[n - 1] == 0)
        n--; /* the terminator of the last argument */
    const char *s = buf;
    for (ssize_t i = 0; i <= n; i++) {
        if (i == n || buf[i] == 0) {
            if (s != buf)
                putchar(' ');
            put_escaped((const unsigned char *)s, (size_t)(buf + i - s), 1);
            s = buf + i + 1;
        }
    }
}

/* All numeric entries of DIR, in readdir order; *n set.  Caller frees. */
static long *list_ids(const char *dir, size_t *n)
{
    size_t cap = 256;
    long *ids = malloc(cap * sizeof *ids);
    *n = 0;
    DIR *d = opendir(dir);
    if (!d || !ids) {
        if (d)
            closedir(d);
        return ids;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!numeric(de->d_name))
            continue;
        if (*n == cap) {
            long *m = realloc(ids, (cap *= 2) * sizeof *ids);
            if (!m)
                break;
            ids = m;
        }
        ids[(*n)++] = strtol(de->d_name, NULL, 10);
    }
    closedir(d);
    return ids;
}

static int is_kthread(long pid)
{
    char dir[64];
    struct task t;
    snprintf(dir, sizeof dir, "/proc/%ld", pid);
    return read_task(dir, &t, 1) == 0 && (t.flags & PF_KTHREAD);
}

/* ps on stdout and, if TASKS, the tasks table there: one pass, one instant. */
static void ps(int only_user_pids, FILE *tasks)
{
    size_t n;
    long *pids = list_ids("/proc", &n);
    if (!only_user_pids)
        puts("pid\ttid\tppid\tuid\teuid\tgid\tstate\tkthread\tstart\tcomm\targs");
    if (tasks)
        fputs("pid\ttid\tstate\tuid\teuid\tsuid\tfsuid\tgid\tegid\tsgid\tfsgid\tutime\tstime\tstart\t"
              "runtime_ns\tcomm\n", tasks);
    for (size_t p = 0; p < n; p++) {
        long pid = pids[p];
        char dir[256];
        struct task leader;
        snprintf(dir, sizeof dir, "/proc/%ld", pid);
        if (read_task(dir, &leader, 1) < 0)
            continue;
        int kthread = (leader.flags & PF_KTHREAD) != 0;
        if (only_user_pids) {
            if (!kthread)
                printf("%ld\n", pid);
            continue;
        }
        snprintf(dir, sizeof dir, "/proc/%ld/task", pid);
        size_t nt;
        long *tids = list_ids(dir, &nt);
        for (size_t i = 0; i < nt; i++) {
            char tdir[600];
            struct task t;
            snprintf(tdir, sizeof tdir, "%s/%ld", dir, tids[i]);
            if (read_task(tdir, &t, 0) < 0)
                continue;
            printf("%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%c\t%d\t%llu\t", pid, t.tid, leader.ppid,
                   t.uid[0], t.uid[1], t.gid[0], t.state, kthread, t.start);
            put_escaped((const unsigned char *)t.comm, strlen(t.comm), 0);
            putchar('\t');
            if (!kthread)
                print_args(pid);
            putchar('\n');
            if (!tasks)
                continue;
            char path[640], sched[256];
            fprintf(tasks, "%ld\t%ld\t%c\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%llu\t%llu\t%llu\t", pid, t.tid,
                    t.state, t.uid[0], t.uid[1], t.uid[2], t.uid[3], t.gid[0], t.gid[1], t.gid[2], t.gid[3],
                    t.utime, t.stime, t.start);
            snprintf(path, sizeof path, "%s/schedstat", tdir);
            if (read_file(path, sched, sizeof sched) > 0)
                fprintf(tasks, "%llu\t", strtoull(sched, NULL, 10));
            else
                fputs("-\t", tasks);
            out = tasks;
            put_escaped((const unsigned char *)t.comm, strlen(t.comm), 0);
            out = stdout;
            putc('\n', tasks);
        }
        free(tids);
    }
    free(pids);
}

/* ---- procs and tasks: /proc/PID[/task/TID]/{stat,status} in full ---- */

/* The value of "KEY:" at a line start in a status buffer, or NULL. */
static char *status_value(char *buf, const char *key)
{
    size_t k = strlen(key);
    for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, key, k) == 0 && line[k] == ':') {
            char *v = line + k + 1;
            while (*v == '\t' || *v == ' ')
                v++;
            return v;
        }
    return NULL;
}

/* Print a status value's whitespace-separated words joined by SEP ("-" if absent or empty). */
static void put_words(char *status, const char *key, int max, char sep)
{
    char *v = status_value(status, key);
    int printed = 0;
    while (v && *v && *v != '\n' && printed < max) {
        size_t len = strcspn(v, " \t\n");
        if (len) {
            if (printed++)
                putchar(sep);
            fwrite(v, 1, len, stdout);
        }
        v += len;
        v += strspn(v, " \t");
    }
    if (!printed)
        putchar('-');
}

static void put_kb(char *status, const char *key)
{
    char *v = status_value(status, key);
    if (v)
        printf("%ld", strtol(v, NULL, 10));
    else
        putchar('-');
}

/* The inode number of /proc/PID/ns/NAME ("net:[4026531840]"), 0 if unreadable. */
static unsigned long ns_inum(const char *pid, const char *name)
{
    char path[96], link[64];
    snprintf(path, sizeof path, "/proc/%s/ns/%s", pid, name);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n <= 0)
        return 0;
    link[n] = 0;
    char *b = strchr(link, '[');
    return b ? strtoul(b + 1, NULL, 10) : 0;
}

static void put_link(const char *path)
{
    static char target[8192];
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0) {
        putchar('-');
        return;
    }
    put_escaped((unsigned char *)target, (size_t)n, 0);
}

/* The cgroup v2 path ("0::PATH" line) of PID, escaped; "-" if none. */
static void put_cgroup(long pid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%ld/cgroup", pid);
    if (read_file(path, buf, sizeof buf) > 0)
        for (char *line = buf; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
            if (strncmp(line, "0::", 3) == 0) {
                put_escaped((unsigned char *)line + 3, strcspn(line + 3, "\n"), 0);
                return;
            }
    putchar('-');
}

static void put_ids(char *status, const char *key)
{
    long v[4] = {-1, -1, -1, -1};
    char *s = status_value(status, key);
    if (s)
        sscanf(s, "%ld %ld %ld %ld", &v[0], &v[1], &v[2], &v[3]);
    printf("%ld\t%ld\t%ld\t%ld\t", v[0], v[1], v[2], v[3]);
}

static const char *const NS_NAMES[] = {"pid", "mnt", "net", "uts", "ipc", "user", "cgroup"};

static void table_procs(void)
{
    puts("pid\tppid\tpgid\tsid\tstate\tkthread\tflags\tuid\teuid\tsuid\tfsuid\tgid\tegid\tsgid\tfsgid\t"
         "groups\tthreads\tutime\tstime\tstart\tvsize\trss\tvmrss\trss_anon\trss_file\trss_shmem\t"
         "nspid\tpidns\tmntns\tnetns\tutsns\tipcns\tuserns\tcgroupns\tcgroup\texe\tcomm");
    size_t n;
    long *pids = list_ids("/proc", &n);
    static char stat[4096], status[8192];
    for (size_t i = 0; i < n; i++) {
        char path[96], comm[64], pid[24];
        char *f[48] = {0};
        snprintf(pid, sizeof pid, "%ld", pids[i]);
        snprintf(path, sizeof path, "/proc/%s/stat", pid);
        if (read_file(path, stat, sizeof stat) <= 0 || stat_fields(stat, f, 48, comm, sizeof comm) < 25)
            continue;
        snprintf(path, sizeof path, "/proc/%s/status", pid);
        if (read_file(path, status, sizeof status) <= 0)
            continue;
        unsigned long flags = strtoul(f[9], NULL, 10);
        printf("%s\t%s\t%s\t%s\t%s\t%d\t%#lx\t", pid, f[4], f[5], f[6], f[3], !!(flags & PF_KTHREAD), flags);
        put_ids(status, "Uid");
        put_ids(status, "Gid");
        put_words(status, "Groups", 64, ',');
        putchar('\t');
        put_words(status, "Threads", 1, ' ');
        printf("\t%s\t%s\t%s\t%s\t%s\t", f[14], f[15], f[22], f[23], f[24]);
        for (const char *const *k = (const char *const[]){"VmRSS", "RssAnon", "RssFile", "RssShmem", NULL}; *k; k++) {
            put_kb(status, *k);
            putchar('\t');
        }
        put_words(status, "NSpid", 32, ',');
        for (size_t k = 0; k < sizeof NS_NAMES / sizeof *NS_NAMES; k++) {
            unsigned long inum = ns_inum(pid, NS_NAMES[k]);
            inum ? printf("\t%lu", inum) : printf("\t-");
        }
        putchar('\t');
        put_cgroup(pids[i]);
        putchar('\t');
        snprintf(path, sizeof path, "/proc/%s/exe", pid);
        put_link(path);
        putchar('\t');
        put_escaped((unsigned char *)comm, strlen(comm), 0);
        putchar('\n');
    }
    free(pids);
}

/* ---- fds: /proc/PID/fd/N links and /proc/PID/fdinfo/N ---- */

static void table_fds(void)
{
    puts("pid\tfd\tpos\tflags\tmnt_id\tino\ttarget\textra");
    size_t n;
    long *pids = list_ids("/proc", &n);
    static char info[8192];
    for (size_t i = 0; i < n; i++) {
        char dir[64];
        snprintf(dir, sizeof dir, "/proc/%ld/fd", pids[i]);
        size_t nf;
        long *fds = list_ids(dir, &nf);
        for (size_t j = 0; j < nf; j++) {
            char path[128];
            snprintf(path, sizeof path, "/proc/%ld/fdinfo/%ld", pids[i], fds[j]);
            if (read_file(path, info, sizeof info) <= 0)
                continue;
            printf("%ld\t%ld\t", pids[i], fds[j]);
            for (const char *const *k = (const char *const[]){"pos", "flags", "mnt_id", "ino", NULL}; *k; k++) {
                char *v = status_value(info, *k);
                printf("%.*s\t", v ? (int)strcspn(v, "\n") : 1, v ? v : "-");
            }
            snprintf(path, sizeof path, "/proc/%ld/fd/%ld", pids[i], fds[j]);
            put_link(path);
            putchar('\t');
            /* Type-specific fdinfo lines (eventfd-count, prog_id, tfd...), ';'-joined, capped. */
            size_t shown = 0;
            for (char *line = info; *line && shown < 512;) {
                size_t len = strcspn(line, "\n");
                if (strncmp(line, "pos:", 4) && strncmp(line, "flags:", 6) && strncmp(line, "mnt_id:", 7) &&
                    strncmp(line, "ino:", 4) && len) {
                    if (shown)
                        putchar(';');
                    put_escaped((unsigned char *)line, len < 512 - shown ? len : 512 - shown, 0);
                    shown += len + 1;
                }
                line += len + (line[len] == '\n');
            }
            if (!shown)
                putchar('-');
            putchar('\n');
        }
        free(fds);
    }
    free(pids);
}

/* ---- namespaces other than labps's own, with a member pid each ---- */

struct ns_rep {
    unsigned long inum;
    long pid;
};

/* Distinct namespaces of kind NAME other than labps's own, first pid seen for each. */
static size_t other_ns(const char *name, struct ns_rep *out, size_t max)
{
    unsigned long own = ns_inum("self", name);
    size_t n, k = 0;
    long *pids = list_ids("/proc", &n);
    for (size_t i = 0; i < n && k < max; i++) {
        char pid[24];
        snprintf(pid, sizeof pid, "%ld", pids[i]);
        unsigned long inum = ns_inum(pid, name);
        size_t j = 0;
        while (j < k && out[j].inum != inum)
            j++;
        if (inum && inum != own && j == k)
            out[k++] = (struct ns_rep){inum, pids[i]};
    }
    free(pids);
    return k;
}

/* ---- ifaces and addrs: rtnetlink dumps, in every network namespace ---- */

static int nl_dump(int type, void (*each)(struct nlmsghdr *, unsigned long), unsigned long netns)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -1;
    struct { /* a dump of every family; RTM_GETADDR takes this ifinfomsg-sized header too */
        struct nlmsghdr h;
        struct ifinfomsg m;
    } req = {.h = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)), .nlmsg_type = (unsigned short)type,
                   .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1}};
    if (send(fd, &req, req.h.nlmsg_len, 0) < 0) {
        close(fd);
        return -1;
    }
    static char buf[1 << 16];
    for (;;) {
        ssize_t len = recv(fd, buf, sizeof buf, 0);
        if (len <= 0)
            break;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
                close(fd);
                return 0;
            }
            each(h, netns);
        }
    }
    close(fd);
    return 0;
}

static char ifnames[4096][IF_NAMESIZE]; /* by ifindex, for the namespace being listed */
static int print_links;
static unsigned long home_netns; /* labps's own, whose sysfs /sys/class/net shows */

static void each_link(struct nlmsghdr *h, unsigned long netns)
{
    struct ifinfomsg *ifi = NLMSG_DATA(h);
    int len = (int)IFLA_PAYLOAD(h);
    const char *name = "?";
    unsigned mtu = 0, txqlen = 0;
    int oper = -1;
    const unsigned char *mac = NULL;
    int maclen = 0;
    struct rtnl_link_stats64 st = {0};
    for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        switch (a->rta_type) {
        case IFLA_IFNAME: name = RTA_DATA(a); break;
        case IFLA_MTU: mtu = *(unsigned *)RTA_DATA(a); break;
        case IFLA_TXQLEN: txqlen = *(unsigned *)RTA_DATA(a); break;
        case IFLA_OPERSTATE: oper = *(unsigned char *)RTA_DATA(a); break;
        case IFLA_ADDRESS: mac = RTA_DATA(a); maclen = (int)RTA_PAYLOAD(a); break;
        case IFLA_STATS64: memcpy(&st, RTA_DATA(a), sizeof st < RTA_PAYLOAD(a) ? sizeof st : RTA_PAYLOAD(a)); break;
        }
    }
    if (ifi->ifi_index > 0 && ifi->ifi_index < 4096)
        snprintf(ifnames[ifi->ifi_index], IF_NAMESIZE, "%s", name);
    if (!print_links)
        return;
    char path[96], sysflags[32] = "-";
    /* /sys/class/net shows the namespace sysfs was mounted in: only ours. */
    if (netns == home_netns) {
        snprintf(path, sizeof path, "/sys/class/net/%s/flags", name);
        if (read_file(path, sysflags, sizeof sysflags) > 0)
            sysflags[strcspn(sysflags, "\n")] = 0;
    }
    printf("%lu\t%d\t%s\t%#x\t%s\t%u\t", netns, ifi->ifi_index, name, ifi->ifi_flags, sysflags, mtu);
    for (int i = 0; i < maclen; i++)
        printf(i ? ":%02x" : "%02x", mac[i]);
    printf("%s\t%d\t%u\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\n", maclen ? "" : "-", oper, txqlen,
           st.rx_packets, st.rx_bytes, st.rx_errors, st.rx_dropped, st.tx_packets, st.tx_bytes, st.tx_errors,
           st.tx_dropped);
}

static void each_addr(struct nlmsghdr *h, unsigned long netns)
{
    struct ifaddrmsg *ifa = NLMSG_DATA(h);
    int len = (int)IFA_PAYLOAD(h);
    const void *addr = NULL, *local = NULL;
    const char *label = "-";
    unsigned flags = ifa->ifa_flags;
    for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        switch (a->rta_type) {
        case IFA_ADDRESS: addr = RTA_DATA(a); break;
        case IFA_LOCAL: local = RTA_DATA(a); break;
        case IFA_LABEL: label = RTA_DATA(a); break;
        case IFA_FLAGS: flags = *(unsigned *)RTA_DATA(a); break;
        }
    }
    const unsigned char *a = local ? local : addr;
    char text[INET6_ADDRSTRLEN];
    if (!a || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
        return;
    inet_ntop(ifa->ifa_family, a, text, sizeof text);
    printf("%lu\t%u\t%s\t%s\t%s\t%u\t%u\t%#x\t%s\n", netns, ifa->ifa_index,
           ifa->ifa_index < 4096 ? ifnames[ifa->ifa_index] : "?", ifa->ifa_family == AF_INET ? "inet" : "inet6", text,
           ifa->ifa_prefixlen, ifa->ifa_scope, flags, label);
}

static void table_net(int addrs)
{
    puts(addrs ? "netns\tifindex\tifname\tfamily\taddress\tprefixlen\tscope\tflags\tlabel"
               : "netns\tifindex\tname\tflags\tsysflags\tmtu\tmac\toperstate\ttxqlen\trx_packets\trx_bytes\t"
                 "rx_errors\trx_dropped\ttx_packets\ttx_bytes\ttx_errors\ttx_dropped");
    struct ns_rep ns[MAXNS + 1];
    home_netns = ns_inum("self", "net");
    ns[0] = (struct ns_rep){home_netns, getpid()};
    size_t n = 1 + other_ns("net", ns + 1, MAXNS);
    int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    print_links = !addrs;
    for (size_t i = 0; i < n; i++) {
        if (i) {
            char path[64];
            snprintf(path, sizeof path, "/proc/%ld/ns/net", ns[i].pid);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            int ok = fd >= 0 && setns(fd, CLONE_NEWNET) == 0;
            if (fd >= 0)
                close(fd);
            if (!ok)
                continue;
        }
        memset(ifnames, 0, sizeof ifnames);
        nl_dump(RTM_GETLINK, each_link, ns[i].inum);
        if (addrs)
            nl_dump(RTM_GETADDR, each_addr, ns[i].inum);
        if (i)
            setns(home, CLONE_NEWNET);
    }
    close(home);
}

/* ---- modparams: /sys/module/NAME/parameters/ files of the modules in /proc/modules ---- */

static void table_modparams(void)
{
    puts("module\tparam\tmode\tvalue");
    static char mods[1 << 16], val[8192];
    if (read_file("/proc/modules", mods, sizeof mods) <= 0)
        return;
    for (char *line = mods; *line;) {
        size_t len = strcspn(line, "\n");
        char name[64], dir[160];
        if (sscanf(line, "%63s", name) == 1) {
            snprintf(dir, sizeof dir, "/sys/module/%s/parameters", name);
            DIR *d = opendir(dir);
            struct dirent *de;
            while (d && (de = readdir(d))) {
                char path[448];
                struct stat sb;
                snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
                if (de->d_name[0] == '.' || stat(path, &sb) < 0 || !(sb.st_mode & 0444))
                    continue; /* write-only parameters have no value to show */
                ssize_t n = read_file(path, val, sizeof val);
                if (n < 0)
                    continue;
                if (n > 0 && val[n - 1] == '\n')
                    val[--n] = 0;
                printf("%s\t%s\t%04o\t", name, de->d_name, (unsigned)(sb.st_mode & 07777));
                put_escaped((unsigned char *)val, (size_t)n, 0);
                putchar('\n');
            }
            if (d)
                closedir(d);
        }
        line += len + (line[len] == '\n');
    }
}

/* ---- eBPF programs and maps, by id (what `bpftool prog/map list` shows) ---- */

static long sys_bpf(int cmd, union bpf_attr *attr)
{
    return syscall(__NR_bpf, cmd, attr, sizeof *attr);
}

static void table_bpf(int maps)
{
    puts(maps ? "id\ttype\tname\tkey_size\tvalue_size\tmax_entries\tflags"
              : "id\ttype\tname\ttag\tjited_len\txlated_len\tload_time\tuid\tmap_ids");
    __u32 id = 0;
    for (int guard = 0; guard < 100000; guard++) {
        union bpf_attr a = {0};
        a.start_id = id;
        if (sys_bpf(maps ? BPF_MAP_GET_NEXT_ID : BPF_PROG_GET_NEXT_ID, &a) < 0)
            break;
        id = a.next_id;
        memset(&a, 0, sizeof a);
        if (maps)
            a.map_id = id;
        else
            a.prog_id = id;
        int fd = (int)sys_bpf(maps ? BPF_MAP_GET_FD_BY_ID : BPF_PROG_GET_FD_BY_ID, &a);
        if (fd < 0)
            continue; /* freed since */
        struct bpf_prog_info pi = {0};
        struct bpf_map_info mi = {0};
        __u32 map_ids[64] = {0};
        if (!maps) {
            pi.nr_map_ids = 64;
            pi.map_ids = (__u64)(uintptr_t)map_ids;
        }
        memset(&a, 0, sizeof a);
        a.info.bpf_fd = (__u32)fd;
        a.info.info_len = maps ? sizeof mi : sizeof pi;
        a.info.info = (__u64)(uintptr_t)(maps ? (void *)&mi : (void *)&pi);
        long r = sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a);
        close(fd);
        if (r < 0)
            continue;
        if (maps) {
            printf("%u\t%u\t", mi.id, mi.type);
            put_str(mi.name[0] ? mi.name : NULL);
            printf("\t%u\t%u\t%u\t%#x\n", mi.key_size, mi.value_size, mi.max_entries, mi.map_flags);
            continue;
        }
        printf("%u\t%u\t", pi.id, pi.type);
        put_str(pi.name[0] ? pi.name : NULL);
        putchar('\t');
        for (int i = 0; i < 8; i++)
            printf("%02x", pi.tag[i]);
        printf("\t%u\t%u\t%llu\t%u\t", pi.jited_prog_len, pi.xlated_prog_len, (unsigned long long)pi.load_time,
               pi.created_by_uid);
        for (__u32 i = 0; i < pi.nr_map_ids && i < 64; i++)
            printf(i ? ",%u" : "%u", map_ids[i]);
        puts(pi.nr_map_ids ? "" : "-");
    }
}

/* ---- kinfo: clocks and constants needed to compare times, own namespaces ---- */

static unsigned long long clock_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

static void kinfo(void)
{
    static char buf[1 << 14];
    printf("clk_tck=%ld\npage_size=%ld\n", sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE));
    printf("realtime_ns=%llu\nmonotonic_ns=%llu\nboottime_ns=%llu\n", clock_ns(CLOCK_REALTIME),
           clock_ns(CLOCK_MONOTONIC), clock_ns(CLOCK_BOOTTIME));
    if (read_file("/proc/stat", buf, sizeof buf) > 0 && strstr(buf, "\nbtime "))
        printf("btime=%ld\n", strtol(strstr(buf, "\nbtime ") + 7, NULL, 10));
    static const char *const files[][2] = {{"uptime", "/proc/uptime"}, {"tainted", "/proc/sys/kernel/tainted"},
                                           {"pid_max", "/proc/sys/kernel/pid_max"},
                                           {"kptr_restrict", "/proc/sys/kernel/kptr_restrict"},
                                           {"bpf_jit_enable", "/proc/sys/net/core/bpf_jit_enable"}};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        if (read_file(files[i][1], buf, sizeof buf) > 0)
            printf("%s=%.*s\n", files[i][0], (int)strcspn(buf, " \n"), buf);
    for (size_t k = 0; k < sizeof NS_NAMES / sizeof *NS_NAMES; k++)
        printf("%sns=%lu\n", NS_NAMES[k], ns_inum("self", NS_NAMES[k]));
}

/* ---- kmsg: every record of the printk ring buffer, with sequence numbers ---- */

static void kmsg(void)
{
    int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return;
    static char rec[8192 + 1];
    for (int guard = 0; guard < 1000000; guard++) {
        ssize_t n = read(fd, rec, sizeof rec - 1);
        if (n > 0)
            fwrite(rec, 1, (size_t)n, stdout);
        else if (n < 0 && errno == EPIPE)
            continue; /* overwritten while we read: the next read resumes */
        else if (n < 0 && errno == EINTR)
            continue;
        else
            break; /* EAGAIN: the end */
    }
    close(fd);
}

/* ---- -F: per-process and per-namespace files as truth frames ---- */

static const char *snap_id;

static void frame_file(const char *name, const char *path)
{
    static char buf[1 << 22];
    ssize_t n = read_file(path, buf, sizeof buf);
    if (n < 0)
        n = 0;
    printf("CPLAB-T %s %s raw %zd\n", snap_id, name, n);
    fwrite(buf, 1, (size_t)n, stdout);
    putchar('\n');
}

static void frames(void)
{
    size_t n;
    long *pids = list_ids("/proc", &n);
    for (size_t i = 0; i < n; i++) {
        char name[64], path[64];
        if (is_kthread(pids[i]))
            continue;
        snprintf(name, sizeof name, "maps/%ld", pids[i]);
        snprintf(path, sizeof path, "/proc/%ld/maps", pids[i]);
        frame_file(name, path);
        snprintf(name, sizeof name, "environ/%ld", pids[i]);
        snprintf(path, sizeof path, "/proc/%ld/environ", pids[i]);
        frame_file(name, path);
    }
    free(pids);
    struct ns_rep ns[MAXNS];
    static const char *const netfiles[] = {"tcp", "tcp6", "udp", "udp6", "unix", "dev"};
    size_t k = other_ns("net", ns, MAXNS);
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < sizeof netfiles / sizeof *netfiles; j++) {
            char name[96], path[96];
            snprintf(name, sizeof name, "netns/%lu/%s", ns[i].inum, netfiles[j]);
            snprintf(path, sizeof path, "/proc/%ld/net/%s", ns[i].pid, netfiles[j]);
            frame_file(name, path);
        }
    k = other_ns("mnt", ns, MAXNS);
    for (size_t i = 0; i < k; i++) {
        char name[96], path[96];
        snprintf(name, sizeof name, "mntns/%lu/mountinfo", ns[i].inum);
        snprintf(path, sizeof path, "/proc/%ld/mountinfo", ns[i].pid);
        frame_file(name, path);
    }
}

static void table_ifaces(void) { table_net(0); }
static void table_addrs(void) { table_net(1); }
static void table_bpf_progs(void) { table_bpf(0); }
static void table_bpf_maps(void) { table_bpf(1); }

int main(int argc, char **argv)
{
    static char obuf[1 << 16];
    static const struct {
        const char *name;
        void (*fn)(void);
    } tables[] = {{"procs", table_procs},         {"fds", table_fds},           {"ifaces", table_ifaces},
                  {"addrs", table_addrs},         {"modparams", table_modparams}, {"bpf_progs", table_bpf_progs},
                  {"bpf_maps", table_bpf_maps},   {"kinfo", kinfo}};
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    out = stdout;
    if (argc == 1 || (argc == 2 && strcmp(argv[1], "-u") == 0)) {
        ps(argc == 2, NULL);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "-T") == 0) {
        FILE *tasks = fopen(argv[2], "w");
        if (!tasks)
            return perror(argv[2]), 1;
        ps(0, tasks);
        return fclose(tasks) ? 1 : 0;
    }
    if (argc == 2 && strcmp(argv[1], "-k") == 0)
        return kmsg(), 0;
    if (argc == 3 && strcmp(argv[1], "-F") == 0) {
        snap_id = argv[2];
        return frames(), 0;
    }
    for (size_t i = 0; argc == 3 && strcmp(argv[1], "-t") == 0 && i < sizeof tables / sizeof *tables; i++)
        if (strcmp(argv[2], tables[i].name) == 0)
            return tables[i].fn(), 0;
    fprintf(stderr, "usage: labps [-u | -T TASKSFILE | -k | -F SNAP | -t procs|fds|ifaces|addrs|modparams|"
                    "bpf_progs|bpf_maps|kinfo]\n");
    return 2;
}
