/*
 * checkpoint.h - the complete state of a training run in one safetensors
 * file (docs/checkpoint.md describes the layout), and reading it back.
 *
 * Tensors:
 *   generator.<i>.<name>, discriminator.<i>.<name>   weights and batch-norm
 *       running statistics, PyTorch nn.Sequential names and layouts (F32)
 *   optimizer.<net>.<i>.<name>.exp_avg / .exp_avg_sq Adam moments of every
 *       parameter (F32, the parameter's shape; PyTorch's names)
 *   optimizer.generator.step, optimizer.discriminator.step   Adam step
 *       counts (I64 scalars)
 *   trainer.step (I64 scalar)   iterations done; with the seed this fixes
 *       the noise of every later step and the data order (both are
 *       counter-based, see rng.h), so nothing else about randomness is saved
 *   trainer.seed (U64 scalar)
 *   generator_ema.<i>.<name>   the moving average of the generator (only
 *       when options.ema > 0): parameters and running statistics (F32)
 * Metadata (strings): format, format_version, gan_c_version, model, spec
 *   (the model's whole spec text, docs/model-spec.md), latent_dim,
 *   image_shape, num_classes, options.*, state.*, data.*.
 *   Keys added after version 1 shipped (num_classes, options.loss, .clip,
 *   .lr_g, .lr_d, .d_steps, .label_smoothing, .ema, .ema_warmup, ...) are
 *   optional when reading; missing ones take the values older runs were
 *   trained with (ema_warmup: off, though new runs default to on).
 */
#ifndef GAN_CHECKPOINT_H
#define GAN_CHECKPOINT_H

#include "io/safetensors.h"
#include "model.h"
#include "spec/spec.h"

#define GAN_CKPT_FORMAT "gan.c checkpoint"
#define GAN_CKPT_FORMAT_VERSION "1"
#define GAN_WEIGHTS_FORMAT "gan.c weights" /* older weights-only files: generator usable */

/* What the metadata of a checkpoint says (gan.h). */
typedef gan_checkpoint_info gan_ckpt_info;

/* Parse and validate the metadata of an opened file. */
gan_status gan_ckpt_read_info(const gan_st_file *f, gan_ckpt_info *info);

/* The model of an opened file: its metadata `spec` parsed (errors name
 * "<file>:spec:<line>"), or for files written before specs the preset named
 * by `model` (never a file). With options, the spec's latent size and image
 * shape must agree with the metadata, and its classes with num_classes
 * when recorded. */
gan_status gan_ckpt_read_spec(const gan_st_file *f, const gan_ckpt_info *info, gan_spec **out);

/* Copy the tensors of model m (named by m->name) from f, checking each
 * tensor's dtype and shape and that every value is finite; with `moments`
 * also Adam's moments and step count. `prefix` replaces m->name in the
 * tensor names when not NULL (e.g. "generator_ema"). */
gan_status gan_ckpt_load_model(const gan_st_file *f, gan_model *m, const char *prefix,
                               bool moments);

/* gan_ckpt_load_model that checks every tensor (dtype, shape, finite) but
 * copies none (m->adam_t is read): describing a checkpoint so never touches
 * the model's memory. */
gan_status gan_ckpt_check_model(const gan_st_file *f, gan_model *m, const char *prefix, bool moments);

/* The bytes of trainer t's checkpoint (what gan_trainer_save_checkpoint
 * writes, byte for byte) copied into *buf (gan_st_writer_serialize: grown
 * only when too small); a GPU trainer's networks are downloaded first. The
 * copy is the trainer's state now: later steps do not change it. */
gan_status gan_ckpt_snapshot(gan_trainer *t, uint8_t **buf, size_t *cap, size_t *len);

/* The size of that checkpoint now, nothing copied or downloaded (the
 * metadata's numbers may grow it by a few bytes later). */
gan_status gan_ckpt_size(gan_trainer *t, size_t *len);

/* Whether file f holds the moving average of a generator (generator_ema.*):
 * a full checkpoint says so in its options (options.ema > 0), a weights file
 * by holding such tensors. */
bool gan_ckpt_has_ema(const gan_st_file *f, const gan_ckpt_info *info);

#endif
