/*
 * run_folder.h - finding the files of a training run folder (gan.h,
 * gan_train_run, names them) for the commands that read runs.
 */
#ifndef GAN_RUN_FOLDER_H
#define GAN_RUN_FOLDER_H

#include "gan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUN_CHECKPOINT GAN_RUN_CHECKPOINT

/* mkdir -p; prints an error naming the folder on failure. (gan_train_run
 * removes the temporary files that killed writes left in a run folder.) */
bool run_make_dirs(const char *path);

bool run_file_exists(const char *path);
bool run_is_dir(const char *path);

/* The checkpoint a user means by PATH: PATH/checkpoint.safetensors when
 * PATH is a folder, else PATH itself. Writes into buf (cap bytes). */
void run_checkpoint_path(const char *path, char *buf, size_t cap);

#endif
