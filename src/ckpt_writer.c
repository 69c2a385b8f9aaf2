/*
 * ckpt_writer.c - checkpoints written on a background thread (see
 * ckpt_writer.h). The thread sleeps on a condition variable between jobs;
 * a job is the path, the buffer and its length (or a reserve: the buffer
 * allocated and touched), which the loop's thread leaves alone until the
 * job is waited for.
 */
#define _POSIX_C_SOURCE 200809L
#include "ckpt_writer.h"
#include "checkpoint.h"
#include "io/atomic_file.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gan_ckpt_writer {
    bool background;
    bool started;  /* the thread runs */
    bool pending;  /* a checkpoint was submitted and not waited for (the loop's thread only) */
    uint8_t *buf;  /* the checkpoint's bytes */
    size_t cap, len;
    char path[1200];
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake, idle;
    bool job, quit;           /* under lock: a job to do (until it is done), the thread's end */
    size_t reserve;           /* the job: > 0: allocate and touch the buffer, else the write */
    gan_status status;        /* under lock: the last job's */
    char message[1024];       /* its gan_last_error when it failed */
};

/* What a synchronous save does (gan_st_writer_save), from the bytes. */
static gan_status write_file(const char *path, const uint8_t *buf, size_t len) {
    gan_atomic_clean_stale(path); /* what a killed earlier save of this file left */
    return gan_atomic_write_file(path, buf, len);
}

static void *worker(void *arg) {
    gan_ckpt_writer *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->job && !w->quit) pthread_cond_wait(&w->wake, &w->lock);
        if (!w->job) break; /* quit */
        pthread_mutex_unlock(&w->lock);
        gan_status s = GAN_OK;
        if (w->reserve) { /* best effort: without it the first snapshot allocates */
            uint8_t *p = w->reserve > w->cap ? realloc(w->buf, w->reserve) : w->buf;
            if (p && w->reserve > w->cap) {
                memset(p, 0, w->reserve);
                w->buf = p, w->cap = w->reserve;
            }
        } else {
            s = write_file(w->path, w->buf, w->len);
        }
        if (s != GAN_OK) snprintf(w->message, sizeof w->message, "%s", gan_last_error());
        pthread_mutex_lock(&w->lock);
        w->status = s;
        w->job = false;
        pthread_cond_broadcast(&w->idle);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

gan_status gan_ckpt_writer_create(bool background, gan_ckpt_writer **out) {
    *out = NULL;
    gan_ckpt_writer *w = calloc(1, sizeof *w);
    if (!w) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate a checkpoint writer");
    w->background = background;
    *out = w;
    return GAN_OK;
}

/* The thread, with every signal blocked (it inherits this thread's mask
 * while created); false when it cannot be made (then writes are synchronous). */
static bool start(gan_ckpt_writer *w) {
    if (pthread_mutex_init(&w->lock, NULL) != 0) return false;
    if (pthread_cond_init(&w->wake, NULL) != 0) {
        pthread_mutex_destroy(&w->lock);
        return false;
    }
    if (pthread_cond_init(&w->idle, NULL) != 0) {
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        return false;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    w->started = pthread_create(&w->thread, NULL, worker, w) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!w->started) {
        pthread_cond_destroy(&w->idle);
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
    }
    return w->started;
}

/* Hand the thread its job (w->reserve says which). */
static void post(gan_ckpt_writer *w) {
    pthread_mutex_lock(&w->lock);
    w->job = true;
    w->status = GAN_OK;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

/* Wait until the thread has no job (none when it never started). */
static gan_status idle(gan_ckpt_writer *w) {
    if (!w->started) return GAN_OK;
    pthread_mutex_lock(&w->lock);
    while (w->job) pthread_cond_wait(&w->idle, &w->lock);
    gan_status s = w->status;
    pthread_mutex_unlock(&w->lock);
    return s;
}

void gan_ckpt_writer_reserve(gan_ckpt_writer *w, gan_trainer *t) {
    size_t len = 0;
    if (!w->background || w->pending || gan_ckpt_size(t, &len) != GAN_OK) return;
    if (!w->started && !start(w)) {
        w->background = false;
        return;
    }
    (void)idle(w);
    w->reserve = len <= SIZE_MAX - 4096 ? len + 4096 : len; /* as gan_st_writer_serialize */
    post(w);
}

gan_status gan_ckpt_writer_submit(gan_ckpt_writer *w, gan_trainer *t, const char *path) {
    GAN_TRY(gan_ckpt_writer_wait(w));
    (void)idle(w); /* a reserve job */
    if (strlen(path) >= sizeof w->path)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: path too long", path);
    if (w->background && !w->started && !start(w)) w->background = false;
    /* synchronous: the streaming save, no copy of the whole checkpoint in memory */
    if (!w->background) return gan_trainer_save_checkpoint(t, path);
    GAN_TRY(gan_ckpt_snapshot(t, &w->buf, &w->cap, &w->len));
    memcpy(w->path, path, strlen(path) + 1);
    w->reserve = 0;
    post(w);
    w->pending = true;
    return GAN_OK;
}

bool gan_ckpt_writer_pending(const gan_ckpt_writer *w) {
    return w->pending;
}

bool gan_ckpt_writer_done(gan_ckpt_writer *w) {
    if (!w->pending) return false;
    pthread_mutex_lock(&w->lock);
    bool done = !w->job;
    pthread_mutex_unlock(&w->lock);
    return done;
}

gan_status gan_ckpt_writer_wait(gan_ckpt_writer *w) {
    if (!w->pending) return GAN_OK;
    gan_status s = idle(w);
    w->pending = false;
    return s == GAN_OK ? GAN_OK : gan_fail(s, "%s", w->message);
}

void gan_ckpt_writer_free(gan_ckpt_writer *w) {
    if (!w) return;
    if (w->started) {
        (void)idle(w);
        pthread_mutex_lock(&w->lock);
        w->quit = true;
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
        pthread_cond_destroy(&w->idle);
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
    }
    free(w->buf);
    free(w);
}
