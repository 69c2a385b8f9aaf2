/*
 * inspect.h - what `gan inspect` prints about a checkpoint, for other
 * commands to reuse (the report page shows it).
 */
#ifndef GAN_INSPECT_H
#define GAN_INSPECT_H

#include "gan.h"

#include <stdbool.h>
#include <stdio.h>

/* Print the architecture, training state, options and spec of the
 * checkpoint file `path` into `out` (with spec_only: the spec alone).
 * Prints nothing else; returns the status (message in gan_last_error()). */
gan_status inspect_print(FILE *out, const char *path, bool spec_only);

#endif
