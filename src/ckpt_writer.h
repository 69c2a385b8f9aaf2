/*
 * ckpt_writer.h - checkpoints written on a background thread, for the run
 * loop (run.c): the trainer's state is copied at the step boundary into a
 * host buffer (a GPU trainer's networks downloaded there), and a thread of
 * the writer's own writes that copy to the file (temporary file, fsync,
 * rename, folder fsync: atomic_file.h's guarantees) while training goes on.
 *
 * One write is in flight at a time: a submit waits for the one before. The
 * buffer (the checkpoint's size: the memory a background write costs) is
 * allocated once, by the thread at the run's start (gan_ckpt_writer_reserve)
 * or else at the first submit, and reused (a run's checkpoints are all about
 * one size), so later checkpoints allocate no more than the writer of a
 * synchronous save does. The thread blocks every signal: signals meant for
 * the program (SIGINT, SIGTERM) reach the thread that trains. Failures
 * come back from gan_ckpt_writer_wait (or the next submit) as a status whose
 * message (gan_last_error, on the waiting thread) names the file; the file
 * then still holds the checkpoint before.
 *
 * Not thread-safe itself: one thread (the run loop's) calls every function.
 */
#ifndef GAN_CKPT_WRITER_H
#define GAN_CKPT_WRITER_H

#include "internal.h"

typedef struct gan_ckpt_writer gan_ckpt_writer;

/* background false: every submit writes the file before it returns
 * (gan_trainer_save_checkpoint's streaming save: no buffer, no thread). */
gan_status gan_ckpt_writer_create(bool background, gan_ckpt_writer **out);

/* Have the thread allocate and touch the buffer for trainer t's checkpoint
 * now (at the run's start, so that the first checkpoint's copy does not
 * page-fault a fresh buffer on the training thread). Best effort: nothing
 * is reported; with background false it does nothing. */
void gan_ckpt_writer_reserve(gan_ckpt_writer *w, gan_trainer *t);

/* Wait for the write in flight (its failure is returned, nothing new is
 * started), copy trainer t's checkpoint and start writing it to `path`
 * (background) or write it (not). */
gan_status gan_ckpt_writer_submit(gan_ckpt_writer *w, gan_trainer *t, const char *path);

/* Whether a submitted checkpoint write (not a reserve) has not been waited
 * for yet (true also once it has finished: see gan_ckpt_writer_done). */
bool gan_ckpt_writer_pending(const gan_ckpt_writer *w);

/* Whether the pending write has finished (successfully or not), without
 * waiting; false when none is pending. */
bool gan_ckpt_writer_done(gan_ckpt_writer *w);

/* Wait for the pending write (if any) and return its status; afterwards
 * none is pending. */
gan_status gan_ckpt_writer_wait(gan_ckpt_writer *w);

/* Wait for the pending write (its status is dropped), stop the thread, free. */
void gan_ckpt_writer_free(gan_ckpt_writer *w);

#endif
