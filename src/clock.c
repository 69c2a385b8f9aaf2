/*
 * clock.c - the library's monotonic clock (internal.h), for the durations it
 * reports (log lines, training and evaluation times).
 */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <time.h>

double gan_now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
