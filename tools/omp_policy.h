/*
 * omp_policy.h - how the CLI's OpenMP threads wait at the end of a parallel
 * region. libgomp's default spins for about 300,000 rounds (a fraction of a
 * millisecond) before sleeping; when another process holds a core, the
 * thread that spins waits for a partner that is not running, and training
 * fell 20-40x beside two busy processes (bench/RESULTS.md, "Contention").
 * A short spin (GOMP_SPINCOUNT=300) then a futex sleep keeps the fair share
 * under load and costs a quiet machine little.
 *
 * libgomp reads OMP_WAIT_POLICY and GOMP_SPINCOUNT once, when it is loaded,
 * before main() runs, and offers no call to change them later; so when the
 * user set neither, main() sets GOMP_SPINCOUNT and executes the program again
 * (same process, same arguments) before doing anything else. A user's
 * OMP_WAIT_POLICY or GOMP_SPINCOUNT is kept as it is; GAN_OMP_POLICY=libgomp
 * keeps libgomp's own default (for benchmarks). Results do not depend on the
 * policy: each output element is computed by one thread in a fixed order.
 */
#ifndef GAN_CLI_OMP_POLICY_H
#define GAN_CLI_OMP_POLICY_H

#define CLI_OMP_SPINCOUNT "300"

/* Call first thing in main(): may not return (it re-executes the program). */
void cli_omp_policy_apply(char **argv);

#endif
