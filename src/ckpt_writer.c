/*
 * ckpt_writer.c - checkpoints written on a background thread (see
 * ckpt_writer.h). The thread sleeps on a condition variable between jobs;
 * a job is the path, the buffer and its length, which the loop's thread
 * leaves alone until the job is waited for.
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
    bool pending;  /* a job was submitted and not waited for (the loop's thread only) */
    uint8_t *buf;  /* the checkpoint's bytes */
    size_t cap, len;
    char path[1200];
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake, idle;
    bool job, quit;           /* under lock: a write to do (until it is done), the thread's end */
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
        gan_status s = write_file(w->path, w->buf, w->len);
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

gan_status gan_ckpt_writer_submit(gan_ckpt_writer *w, gan_trainer *t, const char *path) {
    GAN_TRY(gan_ckpt_writer_wait(w));
    if (strlen(path) >= sizeof w->path)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: path too long", path);
    GAN_TRY(gan_ckpt_snapshot(t, &w->buf, &w->cap, &w->len));
    if (w->background && !w->started && !start(w)) w->background = false;
    if (!w->background) return write_file(path, w->buf, w->len);
    memcpy(w->path, path, strlen(path) + 1);
    pthread_mutex_lock(&w->lock);
    w->job = true;
    w->status = GAN_OK;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
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
    pthread_mutex_lock(&w->lock);
    while (w->job) pthread_cond_wait(&w->idle, &w->lock);
    gan_status s = w->status;
    pthread_mutex_unlock(&w->lock);
    w->pending = false;
    return s == GAN_OK ? GAN_OK : gan_fail(s, "%s", w->message);
}

void gan_ckpt_writer_free(gan_ckpt_writer *w) {
    if (!w) return;
    if (w->started) {
        (void)gan_ckpt_writer_wait(w);
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
