/*
 * labthreads N [ARGS...]: a process with N extra threads, thread i named
 * "lab-worker-i" (so per-thread comm differs from the leader's), all asleep.
 * Extra arguments are ignored: the scenario passes some with spaces to give
 * the truth's argv escaping something to show.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

static void *worker(void *arg)
{
    char name[16];
    snprintf(name, sizeof name, "lab-worker-%ld", (long)arg);
    prctl(PR_SET_NAME, name);
    for (;;)
        pause();
    return NULL;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 3;
    for (long i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker, (void *)i))
            return 1;
    }
    for (;;)
        pause();
}
