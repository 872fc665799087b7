/*
 * labps: the guest's process and thread list for the lab's truth channel.
 *
 * Reads /proc/PID/{stat,status,cmdline} and each task directory itself,
 * because busybox ps formats vary between builds.  One line per thread,
 * tab-separated, header first:
 *
 *   pid tid ppid uid euid gid state kthread start comm args
 *
 * pid is the thread group id (tgid), tid the thread id (tid == pid for the
 * group leader); ppid the parent's tgid; uid/euid/gid real/effective/real ids
 * from status; state the stat state letter; kthread 1 for kernel threads
 * (PF_KTHREAD); start the stat starttime in clock ticks since boot; comm the
 * thread's own comm; args the process's argv, each element escaped and the
 * elements joined by single spaces (empty for kernel threads).  Escaping, in
 * comm and each argv element: backslash -> \\, tab -> \t, newline -> \n,
 * space (args only) -> \x20, other bytes < 0x20 or >= 0x7f -> \xHH.
 *
 * `labps -u` prints only the pids of user processes (not kernel threads),
 * one a line, for the truth script's per-process sections.
 *
 * Not for: anything but the lab guest; it trusts /proc.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PF_KTHREAD 0x00200000UL

struct task {
    long tid, ppid;
    char state;
    unsigned long flags;
    unsigned long long start;
    char comm[64];
    long uid, euid, gid;
};

static void put_escaped(const unsigned char *s, size_t n, int escape_space)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '\\')
            fputs("\\\\", stdout);
        else if (c == '\t')
            fputs("\\t", stdout);
        else if (c == '\n')
            fputs("\\n", stdout);
        else if ((c == ' ' && escape_space) || c < 0x20 || c >= 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
}

static ssize_t read_file(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = 0;
    return (ssize_t)n;
}

/* Parse DIR/stat and DIR/status; 0 on success, -1 if the task is gone. */
static int read_task(const char *dir, struct task *t)
{
    char path[256], buf[4096];
    snprintf(path, sizeof path, "%s/stat", dir);
    if (read_file(path, buf, sizeof buf) <= 0)
        return -1;
    /* comm may hold spaces and parentheses: it ends at the last ')'. */
    char *open = strchr(buf, '('), *close = strrchr(buf, ')');
    if (!open || !close || close < open)
        return -1;
    t->tid = strtol(buf, NULL, 10);
    size_t clen = (size_t)(close - open - 1);
    if (clen >= sizeof t->comm)
        clen = sizeof t->comm - 1;
    memcpy(t->comm, open + 1, clen);
    t->comm[clen] = 0;
    /* Fields after comm: 3 state, 4 ppid, ..., 9 flags, ..., 22 starttime. */
    char *p = close + 2;
    char *field[24] = {0};
    int i = 3;
    for (char *tok = strtok(p, " "); tok && i < 24; tok = strtok(NULL, " "))
        field[i++] = tok;
    if (i < 23)
        return -1;
    t->state = field[3][0];
    t->ppid = strtol(field[4], NULL, 10);
    t->flags = strtoul(field[9], NULL, 10);
    t->start = strtoull(field[22], NULL, 10);

    t->uid = t->euid = t->gid = -1;
    snprintf(path, sizeof path, "%s/status", dir);
    if (read_file(path, buf, sizeof buf) > 0) {
        char *u = strstr(buf, "\nUid:"), *g = strstr(buf, "\nGid:");
        if (u)
            sscanf(u + 5, "%ld %ld", &t->uid, &t->euid);
        if (g)
            sscanf(g + 5, "%ld", &t->gid);
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

int main(int argc, char **argv)
{
    int only_user_pids = argc > 1 && strcmp(argv[1], "-u") == 0;
    DIR *proc = opendir("/proc");
    if (!proc) {
        perror("labps: /proc");
        return 1;
    }
    if (!only_user_pids)
        puts("pid\ttid\tppid\tuid\teuid\tgid\tstate\tkthread\tstart\tcomm\targs");
    struct dirent *de;
    while ((de = readdir(proc))) {
        if (!numeric(de->d_name))
            continue;
        long pid = strtol(de->d_name, NULL, 10);
        char dir[256];
        struct task leader;
        snprintf(dir, sizeof dir, "/proc/%ld", pid);
        if (read_task(dir, &leader) < 0)
            continue;
        int kthread = (leader.flags & PF_KTHREAD) != 0;
        if (only_user_pids) {
            if (!kthread)
                printf("%ld\n", pid);
            continue;
        }
        snprintf(dir, sizeof dir, "/proc/%ld/task", pid);
        DIR *tasks = opendir(dir);
        if (!tasks)
            continue;
        struct dirent *te;
        while ((te = readdir(tasks))) {
            if (!numeric(te->d_name))
                continue;
            char tdir[600];
            struct task t;
            snprintf(tdir, sizeof tdir, "%s/%s", dir, te->d_name);
            if (read_task(tdir, &t) < 0)
                continue;
            printf("%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%c\t%d\t%llu\t", pid, t.tid, leader.ppid,
                   t.uid, t.euid, t.gid, t.state, kthread, t.start);
            put_escaped((const unsigned char *)t.comm, strlen(t.comm), 0);
            putchar('\t');
            if (!kthread)
                print_args(pid);
            putchar('\n');
        }
        closedir(tasks);
    }
    closedir(proc);
    return 0;
}
