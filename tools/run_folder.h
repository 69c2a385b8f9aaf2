/*
 * run_folder.h - the files of a training run folder, shared by `gan train`
 * and the commands that read runs:
 *   OUT/checkpoint.safetensors   the whole training state (docs/checkpoint.md)
 *   OUT/log.jsonl                one JSON object per --log-every steps
 *   OUT/samples/epoch_NNN.png    grids from fixed noise, per epoch
 *   OUT/samples.png              the latest grid
 */
#ifndef GAN_RUN_FOLDER_H
#define GAN_RUN_FOLDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUN_CHECKPOINT "checkpoint.safetensors"

/* mkdir -p; prints an error naming the folder on failure. Removes the
 * temporary files that killed writes left there (gan_atomic_clean_dir). */
bool run_make_dirs(const char *path);

bool run_file_exists(const char *path);
bool run_is_dir(const char *path);

/* The checkpoint a user means by PATH: PATH/checkpoint.safetensors when
 * PATH is a folder, else PATH itself. Writes into buf (cap bytes). */
void run_checkpoint_path(const char *path, char *buf, size_t cap);

/* Keep only the lines of a log whose "step" is at most `step` (the lines
 * written after the checkpoint a run resumes from), rewriting it
 * atomically. A missing log is fine. Prints an error and returns false on
 * failure. */
bool run_truncate_log(const char *log_path, int64_t step);

#endif
