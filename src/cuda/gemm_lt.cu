/*
 * gemm_lt.cu - the matrix products' algorithm, chosen once per shape with
 * cuBLASLt (issue 15: on an H100 the seed step's 30 small products ran on
 * cuBLAS's default 32x32 SIMT tiles at about 14% of the FP32 peak).
 *
 * Path (GAN_CUDA_GEMM, read by gan_cuda_gemm_select at set-up and with each
 * math change, as GAN_CUDA_CONV is): blas (every product through
 * cublasSgemm / cublasGemmEx as before, no plans), lt (every product that
 * cuBLASLt can run through the fastest of its candidates) or auto (the
 * default: in tf32 and bf16 math, per shape, cuBLAS or a cuBLASLt candidate,
 * whichever measured faster; fp32 math with fp32 operands stays on cuBLAS,
 * so that fp32 runs repeat bit for bit in another process; times within LT_MARGIN of the fastest are ties, which go to
 * cuBLAS, then to the earliest candidate in the heuristic's order). Pedantic
 * math always takes cuBLAS. When libcublasLt cannot be loaded the path is
 * blas, or an error if forced.
 *
 * Plans: a shape is (trans_a, trans_b, M, N, K, lda, ldb, ldc, beta zero or
 * not, fp32 or bf16 operands, math, path, and the alignments of A, B and C:
 * the lowest of the pointer's, its leading dimension's in bytes and 16).
 * Its first call, outside any graph capture (the trainer's first step runs
 * directly), makes its plan: cuBLASLt's descriptors,
 * cublasLtMatmulAlgoGetHeuristic for up to LT_CANDIDATES algorithms within
 * the backend's cuBLAS workspace (the one preallocated 32 MiB buffer, shared:
 * all work is on one stream), the operands' alignments and, for fp32, no
 * tensor-core kernels; then cuBLAS and each candidate run on this call's
 * buffers (a warm-up, then enough runs for about LT_TIME_MS, 2 to 30, queued
 * behind a short hold of the stream so that they run back to back as in a
 * graph, timed with CUDA events; C is copied to the host first and put back
 * when beta is not 0) and the fastest is kept for the process, with its
 * descriptors (no allocation per call afterwards). A shape first seen
 * during a capture, or one that no cuBLASLt candidate runs (forced lt too),
 * takes cuBLAS for good (the report says why). The choice never changes
 * once made, so graph replays equal direct calls bit for bit.
 *
 * Determinism: candidates are limited to split-K reduction schemes without
 * atomics or state between calls (LT_REDUCTIONS: no split, or the splits
 * written to the workspace and added in a separate kernel in a fixed order,
 * as cuBLAS's own split-K runs; not "in place", which orders the splits
 * through counters kept in the workspace that cuBLAS's calls share),
 * checked again on each returned algorithm. Another process may time
 * another choice (within the precision's tolerance, as cuBLAS's heuristics
 * may).
 *
 * Precision: as cuBLAS's calls (gemm.cu): fp32 CUBLAS_COMPUTE_32F (FMA
 * kernels only), tf32 CUBLAS_COMPUTE_32F_FAST_TF32, bf16 with fp32 operands
 * CUBLAS_COMPUTE_32F_FAST_16BF, bf16 operands CUBLAS_COMPUTE_32F; fp32 C,
 * fp32 scale.
 */
#include "cuda_common.cuh"
#include "cuda/cublaslt_lazy.h" /* libcublasLt's table, filled on first use */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LT_CANDIDATES 8
#define LT_MARGIN 0.03f  /* times within 3% of the fastest are ties (see choose) */
#define LT_TIME_MS 0.25f /* timed runs per candidate: about this long, */
#define LT_RUNS_MIN 2    /* but at least */
#define LT_RUNS_MAX 30   /* and at most */
/* The GPU waits this long (ns) per timed run, plus LT_HOLD_NS, before the
 * timed runs: they are all queued by then and run back to back, as in a
 * graph replay, so the host's time per call (a few us, as long as a small
 * product) is not what is measured. */
#define LT_HOLD_PER_RUN_NS 10000
#define LT_HOLD_NS 100000
#define LT_REDUCTIONS                                                                    \
    ((uint32_t)(CUBLASLT_REDUCTION_SCHEME_NONE | CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE |  \
                CUBLASLT_REDUCTION_SCHEME_OUTPUT_TYPE))

enum {
    KEY_TA, KEY_TB, KEY_M, KEY_N, KEY_K, KEY_LDA, KEY_LDB, KEY_LDC, KEY_BETA, KEY_BF16,
    KEY_MATH, KEY_FORCE, KEY_ALIGN_A, KEY_ALIGN_B, KEY_ALIGN_C, KEY_COUNT
};

typedef struct lt_plan {
    int key[KEY_COUNT];
    bool lt;      /* through cuBLASLt (else cuBLAS) */
    bool untimed; /* first seen during a capture: cuBLAS, untimed */
    cublasLtMatmulDesc_t op;
    cublasLtMatrixLayout_t a, b, c; /* cuBLASLt's A (the call's B), its B (the call's A), C */
    cublasLtMatmulAlgo_t algo;
    int candidates, chosen; /* runnable candidates; the one kept (heuristic order) */
    int algo_id, tile, splitk;
    uint32_t reduction;
    float ms_blas, ms_lt; /* per call as timed (0: not timed) */
} lt_plan;

typedef struct lt_state {
    cublasLtHandle_t handle;
    cudaEvent_t ev[2];
    lt_plan *plans;
    size_t n_plans, cap_plans;
} lt_state;

#define LT_OK CUBLAS_STATUS_SUCCESS

/* ------------------------------------------------------------ set-up */

static void destroy_plan(lt_plan *p) {
    if (p->c) cublasLtMatrixLayoutDestroy(p->c);
    if (p->b) cublasLtMatrixLayoutDestroy(p->b);
    if (p->a) cublasLtMatrixLayoutDestroy(p->a);
    if (p->op) cublasLtMatmulDescDestroy(p->op);
    p->a = p->b = p->c = NULL;
    p->op = NULL;
}

void gan_cuda_gemm_lt_release(gan_cuda_ctx *cu) {
    lt_state *st = (lt_state *)cu->gemm_lt;
    if (!st) return;
    for (size_t i = 0; i < st->n_plans; i++) destroy_plan(&st->plans[i]);
    free(st->plans);
    for (int i = 0; i < 2; i++)
        if (st->ev[i]) cudaEventDestroy(st->ev[i]);
    if (st->handle) cublasLtDestroy(st->handle);
    free(st);
    cu->gemm_lt = NULL;
}

/* libcublasLt loaded, a handle and two events (outside any capture). */
static gan_status make_state(gan_cuda_ctx *cu) {
    GAN_TRY(gan_cublaslt_load());
    lt_state *st = (lt_state *)calloc(1, sizeof *st);
    if (!st) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "out of host memory for cuBLASLt's state");
    cu->gemm_lt = st; /* released by gan_cuda_gemm_lt_release, also half made */
    cublasStatus_t s = cublasLtCreate(&st->handle);
    if (s != LT_OK) {
        st->handle = NULL;
        gan_cuda_gemm_lt_release(cu);
        return gan_fail(GAN_ERR_UNSUPPORTED, "cuBLASLt: cublasLtCreate failed: %s",
                        cublasLtGetStatusString(s));
    }
    for (int i = 0; i < 2; i++) {
        cudaError_t e = cudaEventCreate(&st->ev[i]);
        if (e != cudaSuccess) {
            st->ev[i] = NULL;
            gan_cuda_gemm_lt_release(cu);
            return gan_fail(gan_cuda_status_of(e), "CUDA: cudaEventCreate failed: %s",
                            cudaGetErrorString(e));
        }
    }
    return GAN_OK;
}

gan_status gan_cuda_gemm_select(gan_cuda_ctx *cu) {
    const char *e = getenv("GAN_CUDA_GEMM");
    gan_cuda_gemm_force force = GAN_CUDA_GEMM_AUTO;
    if (e && *e) {
        if (strcmp(e, "auto") == 0) force = GAN_CUDA_GEMM_AUTO;
        else if (strcmp(e, "blas") == 0) force = GAN_CUDA_GEMM_BLAS;
        else if (strcmp(e, "lt") == 0) force = GAN_CUDA_GEMM_LT;
        else
            return gan_fail(GAN_ERR_INVALID_ARGUMENT, "GAN_CUDA_GEMM=%s: expected auto, lt or "
                            "blas", e);
    }
    if (force != GAN_CUDA_GEMM_BLAS && !cu->gemm_lt) {
        gan_status s = make_state(cu);
        if (s != GAN_OK && force == GAN_CUDA_GEMM_LT)
            return gan_fail_prefix(s, "GAN_CUDA_GEMM=lt");
        if (s != GAN_OK) force = GAN_CUDA_GEMM_BLAS; /* auto without cuBLASLt: cuBLAS */
    }
    cu->gemm_force = force;
    return GAN_OK;
}

/* ------------------------------------------------------------ the plans */

/* The lowest of p's alignment, ld elements' bytes and 16 (what cuBLASLt's
 * vector loads need; capped so that buffers of one layout at other offsets,
 * a second trainer's, share the plan: arena tensors are 64-byte aligned). */
static int align_of(const void *p, int ld, size_t elem) {
    uintptr_t a = (uintptr_t)p | ((uintptr_t)ld * elem) | (uintptr_t)16;
    return (int)(a & (~a + 1));
}

/* cuBLASLt's compute and operand types for this call (false: cuBLAS only). */
static bool lt_types(const gan_cuda_ctx *cu, const gan_gemm_call *g, cublasComputeType_t *ct,
                     cudaDataType_t *in) {
    *in = g->bf16_in ? CUDA_R_16BF : CUDA_R_32F;
    if (g->bf16_in) {
        *ct = CUBLAS_COMPUTE_32F;
        return true;
    }
    switch (cu->math) {
    case GAN_CUDA_MATH_FP32: *ct = CUBLAS_COMPUTE_32F; return true;
    case GAN_CUDA_MATH_TF32: *ct = CUBLAS_COMPUTE_32F_FAST_TF32; return true;
    case GAN_CUDA_MATH_BF16: *ct = CUBLAS_COMPUTE_32F_FAST_16BF; return true;
    default: return false; /* pedantic */
    }
}

/* The descriptors (see gemm.cu: C^T = op(B)^T op(A)^T, column-major). */
static cublasStatus_t describe(lt_plan *p, const gan_gemm_call *g, cublasComputeType_t ct,
                               cudaDataType_t in) {
    int32_t ta = g->trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, tb = g->trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasStatus_t s = cublasLtMatmulDescCreate(&p->op, ct, CUDA_R_32F);
    if (s == LT_OK)
        s = cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_TRANSA, &tb, sizeof tb);
    if (s == LT_OK)
        s = cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_TRANSB, &ta, sizeof ta);
    if (s == LT_OK)
        s = cublasLtMatrixLayoutCreate(&p->a, in, g->trans_b ? g->K : g->N,
                                       g->trans_b ? g->N : g->K, g->ldb);
    if (s == LT_OK)
        s = cublasLtMatrixLayoutCreate(&p->b, in, g->trans_a ? g->M : g->K,
                                       g->trans_a ? g->K : g->M, g->lda);
    if (s == LT_OK) s = cublasLtMatrixLayoutCreate(&p->c, CUDA_R_32F, g->N, g->M, g->ldc);
    return s;
}

/* The heuristic's search preferences for this plan. */
static cublasStatus_t prefer(cublasLtMatmulPreference_t pref, const gan_cuda_ctx *cu,
                             const int *key) {
    uint64_t bytes = cu->blas_workspace_bytes;
    uint64_t fma_only = ~(uint64_t)CUBLASLT_NUMERICAL_IMPL_FLAGS_TENSOR_OP_MASK;
    uint32_t red = LT_REDUCTIONS;
    uint32_t al_a = (uint32_t)key[KEY_ALIGN_B], al_b = (uint32_t)key[KEY_ALIGN_A];
    uint32_t al_c = (uint32_t)key[KEY_ALIGN_C];
    bool fp32 = key[KEY_MATH] == GAN_CUDA_MATH_FP32 && !key[KEY_BF16];
    const struct {
        cublasLtMatmulPreferenceAttributes_t attr;
        const void *value;
        size_t size;
    } set[] = {
        {CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &bytes, sizeof bytes},
        {CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK, &red, sizeof red},
        {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &al_a, sizeof al_a},
        {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &al_b, sizeof al_b},
        {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &al_c, sizeof al_c},
        {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &al_c, sizeof al_c},
        {CUBLASLT_MATMUL_PREF_IMPL_MASK, &fma_only, sizeof fma_only}, /* fp32: FMA only */
    };
    int n = (int)(sizeof set / sizeof set[0]) - (fp32 ? 0 : 1);
    cublasStatus_t s = LT_OK;
    for (int i = 0; i < n && s == LT_OK; i++)
        s = cublasLtMatmulPreferenceSetAttribute(pref, set[i].attr, set[i].value, set[i].size);
    return s;
}

/* Up to LT_CANDIDATES algorithms that may run (deterministic reductions,
 * workspace within the backend's), heuristic order; their count. */
static int candidates(gan_cuda_ctx *cu, lt_state *st, const lt_plan *p,
                      cublasLtMatmulHeuristicResult_t *r) {
    cublasLtMatmulPreference_t pref = NULL;
    int n = 0, kept = 0;
    cublasStatus_t s = cublasLtMatmulPreferenceCreate(&pref);
    if (s == LT_OK) s = prefer(pref, cu, p->key);
    if (s == LT_OK)
        s = cublasLtMatmulAlgoGetHeuristic(st->handle, p->op, p->a, p->b, p->c, p->c, pref,
                                           LT_CANDIDATES, r, &n);
    if (pref) cublasLtMatmulPreferenceDestroy(pref);
    if (s != LT_OK) return 0; /* e.g. NOT_SUPPORTED: no algorithm for this shape */
    for (int i = 0; i < n; i++) {
        uint32_t red = 0;
        if (r[i].state != LT_OK || r[i].workspaceSize > cu->blas_workspace_bytes) continue;
        if (cublasLtMatmulAlgoConfigGetAttribute(&r[i].algo, CUBLASLT_ALGO_CONFIG_REDUCTION_SCHEME,
                                                 &red, sizeof red, NULL) != LT_OK ||
            (red & ~LT_REDUCTIONS) != 0)
            continue;
        r[kept++] = r[i];
    }
    return kept;
}

static cublasStatus_t lt_call(gan_cuda_ctx *cu, lt_state *st, const lt_plan *p,
                              const cublasLtMatmulAlgo_t *algo, const gan_gemm_call *g) {
    return cublasLtMatmul(st->handle, p->op, &g->alpha, g->B, p->a, g->A, p->b, &g->beta, g->C,
                          p->c, g->C, p->c, algo, cu->blas_workspace, cu->blas_workspace_bytes,
                          cu->stream);
}

/* One call through cuBLAS (algo NULL) or cuBLASLt's algo; false if it failed. */
static bool run_once(gan_cuda_ctx *cu, lt_state *st, const lt_plan *p,
                     const cublasLtMatmulAlgo_t *algo, const gan_gemm_call *g) {
    if (!algo) {
        gan_cuda_gemm_blas(cu, g);
        return cu->err == GAN_OK;
    }
    if (lt_call(cu, st, p, algo, g) == LT_OK) return true;
    (void)cudaGetLastError(); /* a candidate that cannot run leaves no error for later launches */
    return false;
}

/* Hold the stream for `ns` nanoseconds (one thread reading the global timer). */
__global__ void lt_hold(unsigned long long ns) {
    unsigned long long t0, t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
    do {
        asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    } while (t - t0 < ns);
}

/* Milliseconds per call over `runs` calls after a warm-up, queued behind a
 * hold (LT_HOLD_NS); < 0 if it fails. */
static float time_runs(gan_cuda_ctx *cu, lt_state *st, const lt_plan *p,
                       const cublasLtMatmulAlgo_t *algo, const gan_gemm_call *g, int runs) {
    if (!run_once(cu, st, p, algo, g)) return -1.0f;
    lt_hold<<<1, 1, 0, cu->stream>>>((unsigned long long)LT_HOLD_NS +
                                     (unsigned long long)runs * LT_HOLD_PER_RUN_NS);
    GAN_CUDA_LAUNCHED(cu, "lt_hold");
    GAN_CUDA_NOTE(cu, cudaEventRecord(st->ev[0], cu->stream));
    for (int r = 0; r < runs; r++)
        if (!run_once(cu, st, p, algo, g)) return -1.0f;
    GAN_CUDA_NOTE(cu, cudaEventRecord(st->ev[1], cu->stream));
    GAN_CUDA_NOTE(cu, cudaEventSynchronize(st->ev[1]));
    float ms = 0.0f;
    GAN_CUDA_NOTE(cu, cudaEventElapsedTime(&ms, st->ev[0], st->ev[1]));
    return cu->err == GAN_OK ? ms / (float)runs : -1.0f;
}

/* Time cuBLAS (auto) and the candidates on this call's buffers; choose. */
static void choose(gan_cuda_ctx *cu, lt_state *st, lt_plan *p, const gan_gemm_call *g,
                   const cublasLtMatmulHeuristicResult_t *r, int n) {
    bool with_blas = cu->gemm_force == GAN_CUDA_GEMM_AUTO;
    const cublasLtMatmulAlgo_t *first = with_blas ? NULL : &r[0].algo;
    float t = time_runs(cu, st, p, first, g, 1);
    int runs = t > 0.0f ? (int)(LT_TIME_MS / t) + 1 : LT_RUNS_MAX;
    runs = runs < LT_RUNS_MIN ? LT_RUNS_MIN : runs > LT_RUNS_MAX ? LT_RUNS_MAX : runs;
    if (with_blas) p->ms_blas = time_runs(cu, st, p, NULL, g, runs);
    float ms[LT_CANDIDATES], fastest = 0.0f;
    for (int i = 0; i < n && cu->err == GAN_OK; i++) {
        ms[i] = time_runs(cu, st, p, &r[i].algo, g, runs);
        if (ms[i] > 0.0f && (fastest == 0.0f || ms[i] < fastest)) fastest = ms[i];
    }
    if (fastest == 0.0f || cu->err != GAN_OK) return;
    /* near-ties go to cuBLAS, then to the heuristic's order: a choice that
     * timing noise flips less often from one process to the next */
    p->ms_lt = fastest;
    if (with_blas && p->ms_blas <= (1.0f + LT_MARGIN) * fastest) return;
    int pick = 0;
    while (!(ms[pick] > 0.0f && ms[pick] <= (1.0f + LT_MARGIN) * fastest)) pick++;
    p->lt = true;
    p->ms_lt = ms[pick];
    p->chosen = pick;
    p->algo = r[pick].algo;
}

/* Make the plan of this call's shape (see the top comment); NULL on error. */
static const lt_plan *make_plan(gan_cuda_ctx *cu, lt_state *st, const gan_gemm_call *g,
                                const int *key) {
    if (!gan_cuda_room_for_one(cu, (void **)&st->plans, &st->cap_plans, st->n_plans,
                               sizeof *st->plans, 32, "cuBLASLt plan"))
        return NULL;
    lt_plan *p = &st->plans[st->n_plans];
    memset(p, 0, sizeof *p);
    memcpy(p->key, key, sizeof p->key);
    if (cu->capturing) { /* cuBLAS for good: nothing may be timed or synchronised now */
        p->untimed = true;
        return &st->plans[st->n_plans++];
    }
    cublasComputeType_t ct = CUBLAS_COMPUTE_32F;
    cudaDataType_t in = CUDA_R_32F;
    lt_types(cu, g, &ct, &in);
    cublasStatus_t s = describe(p, g, ct, in);
    cublasLtMatmulHeuristicResult_t r[LT_CANDIDATES];
    int n = s == LT_OK ? candidates(cu, st, p, r) : 0;
    p->candidates = n;
    if (n > 0) {
        size_t c_bytes = ((size_t)(g->M - 1) * (size_t)g->ldc + (size_t)g->N) * sizeof(float);
        float *saved = NULL;
        if (g->beta != 0.0f) { /* the timing runs accumulate into C: keep it on the host */
            saved = (float *)malloc(c_bytes);
            if (!saved) {
                destroy_plan(p);
                gan_cuda_record(cu, GAN_ERR_OUT_OF_MEMORY, "cuBLASLt timing",
                                "out of host memory", __FILE__, __LINE__);
                return NULL;
            }
            GAN_CUDA_NOTE(cu, cudaMemcpyAsync(saved, g->C, c_bytes, cudaMemcpyDeviceToHost,
                                              cu->stream));
            GAN_CUDA_NOTE(cu, cudaStreamSynchronize(cu->stream));
        }
        choose(cu, st, p, g, r, n);
        if (saved) {
            GAN_CUDA_NOTE(cu, cudaMemcpyAsync(g->C, saved, c_bytes, cudaMemcpyHostToDevice,
                                              cu->stream));
            GAN_CUDA_NOTE(cu, cudaStreamSynchronize(cu->stream));
            free(saved);
        }
    }
    if (cu->err != GAN_OK) {
        destroy_plan(p);
        return NULL;
    }
    if (p->lt) {
        int32_t id = 0, splitk = 1;
        uint32_t tile = 0;
        cublasLtMatmulAlgoConfigGetAttribute(&p->algo, CUBLASLT_ALGO_CONFIG_ID, &id, sizeof id,
                                             NULL);
        cublasLtMatmulAlgoConfigGetAttribute(&p->algo, CUBLASLT_ALGO_CONFIG_TILE_ID, &tile,
                                             sizeof tile, NULL);
        cublasLtMatmulAlgoConfigGetAttribute(&p->algo, CUBLASLT_ALGO_CONFIG_SPLITK_NUM, &splitk,
                                             sizeof splitk, NULL);
        cublasLtMatmulAlgoConfigGetAttribute(&p->algo, CUBLASLT_ALGO_CONFIG_REDUCTION_SCHEME,
                                             &p->reduction, sizeof p->reduction, NULL);
        p->algo_id = id, p->tile = (int)tile, p->splitk = splitk;
    } else {
        destroy_plan(p); /* cuBLAS: the descriptors are not needed */
    }
    return &st->plans[st->n_plans++];
}

bool gan_cuda_gemm_lt(gan_cuda_ctx *cu, const gan_gemm_call *g) {
    lt_state *st = (lt_state *)cu->gemm_lt;
    cublasComputeType_t ct = CUBLAS_COMPUTE_32F;
    cudaDataType_t in = CUDA_R_32F;
    if (!st || cu->gemm_force == GAN_CUDA_GEMM_BLAS || g->K <= 0 || !lt_types(cu, g, &ct, &in))
        return false;
    /* auto leaves fp32 math with fp32 operands on cuBLAS: a timed choice may
     * differ between processes, and fp32 runs resume bit for bit in a new
     * process (as the convolutions' im2col path keeps them); forced lt plans
     * them too */
    if (cu->gemm_force == GAN_CUDA_GEMM_AUTO && cu->math == GAN_CUDA_MATH_FP32 && !g->bf16_in)
        return false;
    if (cu->err != GAN_OK) return false; /* reported at the next wait; nothing to time */
    size_t elem = g->bf16_in ? 2 : 4;
    int key[KEY_COUNT] = {g->trans_a,
                          g->trans_b,
                          g->M,
                          g->N,
                          g->K,
                          g->lda,
                          g->ldb,
                          g->ldc,
                          g->beta != 0.0f,
                          g->bf16_in,
                          (int)cu->math,
                          (int)cu->gemm_force,
                          align_of(g->A, g->lda, elem),
                          align_of(g->B, g->ldb, elem),
                          align_of(g->C, g->ldc, sizeof(float))};
    const lt_plan *p = NULL;
    for (size_t i = 0; i < st->n_plans && !p; i++)
        if (memcmp(st->plans[i].key, key, sizeof key) == 0) p = &st->plans[i];
    if (!p) p = make_plan(cu, st, g, key);
    if (!p) return true; /* the error is recorded */
    if (!p->lt) return false;
    GAN_CUBLAS_NOTE(cu, lt_call(cu, st, p, &p->algo, g));
    return true;
}

size_t gan_cuda_gemm_report(gan_cuda_ctx *cu, char *buf, size_t cap) {
    static const char *const maths[] = {"fp32", "pedantic", "tf32", "bf16"};
    static const char *const forces[] = {"auto", "blas", "lt"};
    lt_state *st = (lt_state *)cu->gemm_lt;
    size_t used = 0, n = st ? st->n_plans : 0;
    if (cap) buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const lt_plan *p = &st->plans[i];
        const int *k = p->key;
        char line[320];
        int len = snprintf(line, sizeof line,
                           "gemm ta%d tb%d M%d N%d K%d ld %d/%d/%d beta%s %s%s %s: %s", k[KEY_TA],
                           k[KEY_TB], k[KEY_M], k[KEY_N], k[KEY_K], k[KEY_LDA], k[KEY_LDB],
                           k[KEY_LDC], k[KEY_BETA] ? "!=0" : "=0", maths[k[KEY_MATH] & 3],
                           k[KEY_BF16] ? " bf16-in" : "", forces[k[KEY_FORCE] % 3],
                           p->lt         ? "lt  "
                           : p->untimed  ? "blas (first seen in a capture)"
                           : !p->candidates ? "blas (no cuBLASLt algorithm)"
                                            : "blas");
        if (p->candidates && len > 0 && (size_t)len < sizeof line)
            len += snprintf(line + len, sizeof line - (size_t)len,
                            "  blas %.4f ms  lt %.4f ms (%d candidates", p->ms_blas, p->ms_lt,
                            p->candidates);
        if (!p->untimed && p->lt && len > 0 && (size_t)len < sizeof line)
            len += snprintf(line + len, sizeof line - (size_t)len,
                            "; #%d: algo %d tile %d split-k %d reduction %u", p->chosen,
                            p->algo_id, p->tile, p->splitk, p->reduction);
        if (p->candidates && len > 0 && (size_t)len < sizeof line)
            len += snprintf(line + len, sizeof line - (size_t)len, ")");
        gan_cuda_report_line(buf, cap, &used, line, len, sizeof line);
    }
    return n;
}
