/*
 * ema.c - how much of the initial weights the generator's moving average
 * still holds after some G steps (gan.h: gan_ema_initial_share), from the
 * decays the ema_update kernel uses (src/ema.h).
 */
#include "ema.h"

#include "gan.h"

#include <math.h>

double gan_ema_initial_share(float decay, bool warmup, int64_t steps) {
    if (decay <= 0.0f || steps <= 0) return decay <= 0.0f && steps > 0 ? 0.0 : 1.0;
    double share = 1.0;
    for (int64_t done = 0; done < steps; done++) {
        float d = warmup ? gan_ema_warmup_decay(decay, done) : decay;
        if (d == decay) return share * pow((double)decay, (double)(steps - done));
        share *= d;
    }
    return share;
}
