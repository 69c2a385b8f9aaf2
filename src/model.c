/*
 * model.c - shape inference, memory planning, forward and backward loops of
 * a network (a sequence of layers and blocks of branches), and its host
 * copies on a device backend (model.h).
 */
#include "model.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

gan_status gan_model_add(gan_model *m, gan_layer layer) {
    if (m->n_layers >= GAN_MAX_LAYERS)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "model has more than %d layers", GAN_MAX_LAYERS);
    m->layers[m->n_layers++] = layer;
    if (m->open_block) m->blocks[m->open_block - 1].n[m->open_branch]++;
    return GAN_OK;
}

gan_status gan_model_begin_block(gan_model *m, const gan_block_kind *kind) {
    if (m->open_block)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "a %s block inside a block (blocks do not nest)",
                        kind->name);
    if (m->n_blocks >= GAN_MAX_BLOCKS)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "model has more than %d blocks", GAN_MAX_BLOCKS);
    m->blocks[m->n_blocks] = (gan_block){.kind = kind, .first = m->n_layers};
    m->open_block = ++m->n_blocks;
    m->open_branch = 0;
    return GAN_OK;
}

gan_status gan_model_next_branch(gan_model *m) {
    if (!m->open_block) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "a branch outside a block");
    const gan_block_kind *k = m->blocks[m->open_block - 1].kind;
    if (m->open_branch + 1 >= k->n_branches)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "a %s block has %d branches (%s, %s)", k->name,
                        k->n_branches, k->branch_names[0], k->branch_names[k->n_branches - 1]);
    m->open_branch++;
    return GAN_OK;
}

gan_status gan_model_end_block(gan_model *m) {
    if (!m->open_block) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "the end of no block");
    const gan_block *b = &m->blocks[m->open_block - 1];
    m->open_block = 0;
    if (b->first == m->n_layers)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "an empty %s block", b->kind->name);
    return GAN_OK;
}

static int block_layers(const gan_block *b) {
    int n = 0;
    for (int k = 0; k < b->kind->n_branches; k++) n += b->n[k];
    return n;
}

/* The first layer of branch k of b. */
static int branch_first(const gan_block *b, int k) {
    int i = b->first;
    for (int j = 0; j < k; j++) i += b->n[j];
    return i;
}

/* The block whose last layer is i, or NULL. */
static const gan_block *block_ending_at(const gan_model *m, int i) {
    if (i < 0 || !m->block_of[i]) return NULL;
    const gan_block *b = &m->blocks[m->block_of[i] - 1];
    return b->first + block_layers(b) - 1 == i ? b : NULL;
}

/* Branch of block b holding layer i (i inside b). */
static int branch_of(const gan_block *b, int i) {
    int k = 0;
    while (i >= branch_first(b, k) + b->n[k]) k++;
    return k;
}

void gan_model_layer_path(const gan_model *m, int i, char *buf, size_t cap) {
    int item = 0;
    for (int j = 0; j < i; j++) /* every plain layer and every block's first layer is an item */
        if (!m->block_of[j] || m->blocks[m->block_of[j] - 1].first == j) item++;
    if (!m->block_of[i]) {
        snprintf(buf, cap, "%s.%d", m->name, item);
        return;
    }
    const gan_block *b = &m->blocks[m->block_of[i] - 1];
    if (b->first != i) item--; /* counted at its first layer */
    int k = branch_of(b, i);
    snprintf(buf, cap, "%s.%d.%s.%d", m->name, item, b->kind->branch_names[k],
             i - branch_first(b, k));
}

const float *gan_model_output(const gan_model *m) {
    const gan_block *b = block_ending_at(m, m->n_layers - 1);
    return b ? b->out_act : m->acts[m->n_layers];
}

static int shape_size(const int s[3]) {
    return s[0] * s[1] * s[2];
}

/* The input of layer i: the model's input, the previous layer's output,
 * the output of the block just before, or (first layer of a branch) the
 * input of its block. */
static float *input_of(gan_model *m, int i) {
    const gan_block *b = m->block_of[i] ? &m->blocks[m->block_of[i] - 1] : NULL;
    if (b && i != b->first && i == branch_first(b, branch_of(b, i))) return m->x_of[b->first];
    const gan_block *prev = block_ending_at(m, i - 1);
    return prev ? prev->out_act : m->acts[i];
}

/* Floats of the largest value any layer of [lo, hi) takes or gives, and `at_least`. */
static int largest_in(const gan_model *m, int lo, int hi, int at_least) {
    for (int i = lo; i < hi; i++) at_least = GAN_MAX(at_least, m->layers[i].out_size);
    return at_least;
}

/* Whether layer i's input is layer i - 1's own output in the same chain
 * (not a model's, block's or branch's input, which another layer also
 * reads). */
static bool follows_in_chain(const gan_model *m, int i) {
    if (i == 0 || m->block_of[i] != m->block_of[i - 1]) return false; /* first in a block, or
                                                                         after one */
    const gan_block *b = m->block_of[i] ? &m->blocks[m->block_of[i] - 1] : NULL;
    return !b || branch_of(b, i) == branch_of(b, i - 1);
}

/* Whether layer l's backward reads its output y (layer.h:
 * GAN_LAYER_BACKWARD_NO_OUTPUT; with a fused activation taken from the
 * output, GAN_LAYER_TAKES_ACTIVATION_FROM_OUTPUT, it does). */
static bool reads_output(const gan_layer *l) {
    unsigned f = l->ops->flags;
    return !(f & GAN_LAYER_BACKWARD_NO_OUTPUT) ||
           (l->act.on && (f & GAN_LAYER_TAKES_ACTIVATION_FROM_OUTPUT));
}

/* Whether layer l's backward reads its input x: not with
 * GAN_LAYER_BACKWARD_NO_INPUT (pooling, up-sampling), nor an activation
 * that may run in place (layer.h: in_place; its backward reads y, never x). */
static bool reads_input(const gan_layer *l) {
    return !(l->ops->flags & GAN_LAYER_BACKWARD_NO_INPUT) &&
           !(l->ops->in_place && l->ops->in_place(l));
}

/* Whether layer i writes its output over its input (layer.h: in_place):
 * only where that input is the previous layer's own output in the same
 * chain, whose backward does not read it. */
static bool runs_in_place(const gan_model *m, int i) {
    const gan_layer *l = &m->layers[i], *prev = i > 0 ? &m->layers[i - 1] : NULL;
    if (m->keep_outputs || !prev || !l->ops->in_place || !l->ops->in_place(l)) return false;
    if (prev->is_view || prev->fused || reads_output(prev)) return false;
    return follows_in_chain(m, i);
}

/* Whether layer i computes anything (not a view, not fused into another). */
static bool computes(const gan_layer *l) {
    return !l->is_view && !l->fused;
}

/* Fuse each activation that the layer before it can apply (layer.h:
 * GAN_LAYER_TAKES_ACTIVATION, fusable_act; batch norm + relu or
 * leaky_relu; GAN_LAYER_TAKES_ACTIVATION_FROM_OUTPUT: dense + relu,
 * leaky_relu with alpha >= 0 or tanh, whose derivative follows from the
 * output): that layer's kernels write the activation's output and take its
 * gradient, and the activation runs as a view. Only inside one chain,
 * never with keep_outputs (each layer's own output stays visible). */
static void fuse_activations(gan_model *m) {
    for (int i = 0; i < m->n_layers; i++) {
        m->layers[i].fused = false;
        m->layers[i].grad_over_output = false;
        m->layers[i].act = (gan_act){.on = false};
    }
    for (int i = 1; i < m->n_layers && !m->keep_outputs; i++) {
        gan_layer *l = &m->layers[i], *prev = &m->layers[i - 1];
        unsigned takes = prev->ops->flags;
        bool from_output = (takes & GAN_LAYER_TAKES_ACTIVATION_FROM_OUTPUT) != 0;
        gan_act act;
        if (!(takes & (GAN_LAYER_TAKES_ACTIVATION | GAN_LAYER_TAKES_ACTIVATION_FROM_OUTPUT)) ||
            prev->is_view || prev->fused || !l->ops->fusable_act || !l->ops->fusable_act(l, &act) ||
            !follows_in_chain(m, i))
            continue;
        if (from_output ? !l->ops->in_place || !l->ops->in_place(l) : act.tanh) continue;
        prev->act = act;
        l->fused = true;
    }
}

/* The layer that applies layer i's deferred bias and activation (layer.h:
 * GAN_LAYER_DEFERS_BIAS, GAN_LAYER_TAKES_INPUT_BIAS): the next computing
 * layer, right after i or after i's fused activation, in the same chain, so
 * that it alone reads i's output; else -1. Not with keep_outputs (i's own
 * output stays visible) nor in an inference_only model (no training forward). */
static int bias_taker(const gan_model *m, int i) {
    const gan_layer *l = &m->layers[i];
    if (m->keep_outputs || m->inference_only || !(l->ops->flags & GAN_LAYER_DEFERS_BIAS) ||
        l->is_view || l->fused)
        return -1;
    int j = i + 1;
    if (j < m->n_layers && m->layers[j].fused) { /* i's activation, a view */
        if (!follows_in_chain(m, j)) return -1;
        j++;
    }
    if (j >= m->n_layers || !follows_in_chain(m, j)) return -1;
    const gan_layer *t = &m->layers[j];
    return (t->ops->flags & GAN_LAYER_TAKES_INPUT_BIAS) && !t->is_view && !t->fused ? j : -1;
}

/* The layer whose bias the caller applies (defer_output_bias): the last
 * layer that computes, GAN_LAYER_DEFERS_BIAS with one output feature and no
 * activation, outside blocks, followed only by views (so its output is the
 * model's); else -1. */
static int output_bias_layer(const gan_model *m) {
    if (!m->defer_output_bias || m->keep_outputs || m->inference_only) return -1;
    int i = m->n_layers - 1;
    while (i >= 0 && m->layers[i].is_view && !m->block_of[i]) i--;
    if (i < 0 || m->block_of[i]) return -1;
    const gan_layer *l = &m->layers[i];
    bool ok = (l->ops->flags & GAN_LAYER_DEFERS_BIAS) && !l->fused && !l->is_view &&
              !l->act.on && l->out_size == 1;
    return ok ? i : -1;
}

/* Let each layer that can apply the layer before's bias and activation do
 * so (bias_taker), and the caller the output's (output_bias_layer); their
 * pointers are bound by bind_deferred_biases. */
static void defer_biases(gan_model *m) {
    for (int i = 0; i < m->n_layers; i++) {
        gan_layer *l = &m->layers[i];
        l->bias_deferred = false;
        l->in_bias = NULL;
        l->in_bias_grad = NULL;
        l->in_act = (gan_act){.on = false};
    }
    for (int i = 0; i < m->n_layers; i++) m->layers[i].bias_deferred = bias_taker(m, i) >= 0;
    int last = output_bias_layer(m);
    if (last >= 0) m->layers[last].bias_deferred = true;
}

/* The bias (the last out_size params), its gradient and the activation of
 * each deferring layer, given to the layer that takes them (or the caller:
 * out_bias). */
static void bind_deferred_biases(gan_model *m) {
    m->out_bias = NULL, m->out_bias_grad = NULL;
    for (int i = 0; i < m->n_layers; i++) {
        const gan_layer *l = &m->layers[i];
        if (!l->bias_deferred) continue;
        if (i == output_bias_layer(m)) {
            m->out_bias = l->params + l->n_params - 1;
            m->out_bias_grad = l->grads ? l->grads + l->n_params - 1 : NULL;
            continue;
        }
        gan_layer *t = &m->layers[bias_taker(m, i)];
        size_t at = l->n_params - (size_t)l->out_size;
        t->in_bias = l->params + at;
        t->in_bias_grad = l->grads ? l->grads + at : NULL;
        t->in_act = l->act;
    }
}

/* Offset (floats) of n floats taken from a region at *off, in 64-byte
 * units as the arena hands them out. */
static size_t take(size_t *off, size_t n) {
    size_t at = *off;
    *off += (n + 15) / 16 * 16;
    return at;
}

/* Where the gradient of each top-level backward step's input goes (the
 * steps as gan_model_backward takes them, last first: a block, at its first
 * layer, or a computing layer outside blocks), and each layer's work, as
 * offsets into the activation region, whose activations end at
 * `acts_end`. During a step, every activation allocated after `live` is
 * dead: the region holds the activations in layer order, and backward has
 * passed the layers after the step (end_after[i]: the region's end after
 * layer i's output and its block's; a layer that never reads its output in
 * backward needs only its input's, end_after[i - 1]). So each gradient goes
 * into that dead tail: alternately at `live` (low) and at the region's very
 * end (high), apart from the step's input gradient dy that the step before
 * wrote. A layer's work (layer.h: within one forward or backward call) goes
 * between the low gradient and the high one, and after end_after of the
 * step's last layer, where a forward has not written yet. Returns the
 * region's size; at[i] is the offset of step i's dx (from the region's end
 * minus its size where high[i]), work_at[i] that of layer i's work (with
 * work_at NULL: the size without the work). With keep_outputs every
 * gradient lies after every activation. The first step's gradient goes
 * high where first_high, else low (the caller tries both). */
static size_t place_gradients(const gan_model *m, size_t rows, const size_t *end_after,
                              size_t in_end, size_t acts_end, size_t *at, bool *high,
                              size_t *work_at, bool first_high) {
    size_t need = acts_end, dy_end = 0, dy_size = 0;
    bool dy_ours = false, dy_high = false; /* the first step's dy is the caller's */
    for (int i = m->n_layers - 1; i >= 0;) {
        const gan_layer *l = &m->layers[i];
        size_t live, n;
        int step, last = i;
        if (m->block_of[i]) {
            const gan_block *b = &m->blocks[m->block_of[i] - 1];
            step = b->first;
            live = end_after[i];
            n = rows * (size_t)b->in_size;
            i = b->first - 1;
        } else if (!computes(l)) {
            if (work_at) work_at[i] = end_after[i]; /* no work */
            i--;
            continue;
        } else {
            step = i;
            live = reads_output(l) ? end_after[i] : i > 0 ? end_after[i - 1] : in_end;
            n = rows * (size_t)l->in_size;
            i--;
        }
        if (m->keep_outputs) live = acts_end;
        size_t size = (n + 15) / 16 * 16, low_end, high_size, work = 0;
        if (dy_ours ? dy_high : !first_high) { /* low, below a high dy */
            at[step] = live, high[step] = false;
            low_end = live + size;
            high_size = dy_ours ? dy_size : 0;
            dy_end = low_end;
        } else { /* high, above a low dy */
            at[step] = size, high[step] = true;
            low_end = GAN_MAX(dy_end, live);
            high_size = size;
        }
        for (int j = step; j <= last && work_at; j++) work = GAN_MAX(work, m->layers[j].n_work);
        size_t work_from = GAN_MAX(low_end, end_after[last]);
        for (int j = step; j <= last && work_at; j++) work_at[j] = work_from;
        need = GAN_MAX(need, (work ? work_from + (work + 15) / 16 * 16 : low_end) + high_size);
        dy_high = high[step];
        dy_size = size;
        dy_ours = true;
    }
    return need;
}

/* The storage of each layer's output (act_id[i + 1]) and input (x_id[i]),
 * given which layers reuse their input's (reuse[i]): 0 for the input
 * acts[0], i + 1 for layer i's own output, n_layers + 1 + k for block k's
 * output; the same walk as input_of. */
static void storage_ids(const gan_model *m, const bool *reuse, int *act_id, int *x_id) {
    act_id[0] = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const gan_block *b = m->block_of[i] ? &m->blocks[m->block_of[i] - 1] : NULL;
        const gan_block *prev = block_ending_at(m, i - 1);
        if (b && i != b->first && i == branch_first(b, branch_of(b, i))) x_id[i] = x_id[b->first];
        else x_id[i] = prev ? m->n_layers + 1 + (int)(prev - m->blocks) : act_id[i];
        act_id[i + 1] = reuse[i] ? x_id[i] : i + 1;
    }
}

/* The storage that holds the model's output (gan_model_output), as
 * storage_ids numbers them. */
static int output_storage(const gan_model *m, const bool *reuse) {
    int act_id[GAN_MAX_LAYERS + 1], x_id[GAN_MAX_LAYERS];
    storage_ids(m, reuse, act_id, x_id);
    const gan_block *last = block_ending_at(m, m->n_layers - 1);
    return last ? m->n_layers + 1 + (int)(last - m->blocks) : act_id[m->n_layers];
}

/* Which layers that took an activation from their output (fuse_activations)
 * may form its gradient over their own output y in backward (layer.h:
 * grad_over_output): all but the one whose y is the model's output, which
 * backward never overwrites. Nothing else reads y then: backward has passed
 * the layers after it, a layer never runs in place over a fused activation
 * (runs_in_place), and no gradient is placed over y during its backward
 * (reads_output keeps y live in place_gradients). */
static void place_activation_grads(gan_model *m) {
    bool reuse[GAN_MAX_LAYERS] = {false};
    for (int i = 0; i < m->n_layers; i++)
        reuse[i] = !computes(&m->layers[i]) || runs_in_place(m, i);
    int out_id = output_storage(m, reuse);
    for (int i = 0; i < m->n_layers; i++) {
        gan_layer *l = &m->layers[i];
        l->grad_over_output = l->act.on &&
                              (l->ops->flags & GAN_LAYER_TAKES_ACTIVATION_FROM_OUTPUT) &&
                              out_id != i + 1;
    }
}

/* Whether layer r's output is recomputed for layer r + 1's backward (layer.h:
 * GAN_LAYER_RECOMPUTE): r computes and does not run in place, only layer r + 1 reads its
 * output (r + 1 follows it in the same chain, computes, does not run in place; so r's
 * output is no block's input or branch output), not the model's output, and r + 1's
 * backward reads it; not with keep_outputs, nor in an inference_only model. */
static bool recomputes(const gan_model *m, int r, const bool *reuse, int out_id) {
    if (m->keep_outputs || m->inference_only || r + 1 >= m->n_layers) return false;
    const gan_layer *l = &m->layers[r], *next = &m->layers[r + 1];
    return (l->ops->flags & GAN_LAYER_RECOMPUTE) && computes(l) && !reuse[r] &&
           follows_in_chain(m, r + 1) && computes(next) && !reuse[r + 1] && out_id != r + 1 &&
           reads_input(next);
}

/* Storages (storage_ids) and, in inference_only models, the layers' work. */
#define GAN_MAX_VALUES (GAN_MAX_LAYERS + 1 + GAN_MAX_BLOCKS + GAN_MAX_LAYERS)

/* The transient values: storages that no backward reads (a layer's own
 * output or a block's output, not the model's input or output), so they
 * die once the last forward step reading them ran, as PyTorch frees a
 * tensor autograd did not save: a branch's output, read only by its
 * block's join (whose backward reads no branch output), the input of
 * pooling or up-sampling (GAN_LAYER_BACKWARD_NO_INPUT) or of an activation
 * that may run in place, where no other layer's backward reads it either
 * and their own backward does not read their output. In an inference_only
 * model every storage but the input and the output is transient, and so
 * is each layer's work. Forward time: layer i runs at 2 i, the join of a
 * block ending at layer i at 2 i + 1. Each transient value gets an offset
 * (floats, t_at[id]; work_at[i] for layer i's work where work_at) in one
 * area, apart from every value whose forward lifetime meets its own
 * (placed largest first, each at the lowest offset past those it meets);
 * sets trans[id] and returns the area's floats. None with keep_outputs. */
static size_t plan_transients(const gan_model *m, size_t rows, const bool *reuse, int out_id,
                              bool *trans, size_t *t_at, size_t *work_at) {
    int n = m->n_layers, n_ids = n + 1 + m->n_blocks, act_id[GAN_MAX_LAYERS + 1],
        x_id[GAN_MAX_LAYERS];
    int born[GAN_MAX_VALUES], last[GAN_MAX_VALUES];
    bool kept[GAN_MAX_VALUES];
    size_t size[GAN_MAX_VALUES];
    for (int v = 0; v < GAN_MAX_VALUES; v++) {
        born[v] = last[v] = -1, kept[v] = m->keep_outputs, size[v] = 0, trans[v] = false;
        t_at[v] = 0;
    }
    storage_ids(m, reuse, act_id, x_id);
    kept[0] = kept[out_id] = true;
    for (int i = 0; i < n; i++) {
        const gan_layer *l = &m->layers[i];
        if (!reuse[i]) born[i + 1] = 2 * i, size[i + 1] = rows * (size_t)l->out_size;
        const gan_block *b = block_ending_at(m, i);
        if (b) { /* the join reads each branch's output */
            int k = n + 1 + (int)(b - m->blocks);
            born[k] = 2 * i + 1, size[k] = rows * (size_t)b->out_size;
            for (int j = 0; j < b->kind->n_branches; j++) {
                int s = b->n[j] ? act_id[branch_first(b, j) + b->n[j]] : x_id[b->first];
                last[s] = GAN_MAX(last[s], 2 * i + 1);
            }
        }
        if (!computes(l)) continue; /* a view: its storage is its input's */
        last[x_id[i]] = GAN_MAX(last[x_id[i]], 2 * i);
        if (m->inference_only) continue;
        if (i > 0 && recomputes(m, i - 1, reuse, out_id)) kept[x_id[i - 1]] = true;
        else if (reads_input(l)) kept[x_id[i]] = true;
        if (reads_output(l)) kept[act_id[i + 1]] = true;
    }
    int items[GAN_MAX_VALUES], n_items = 0;
    for (int v = 1; v < n_ids; v++) {
        trans[v] = !kept[v] && born[v] >= 0 && size[v] > 0;
        if (trans[v]) items[n_items++] = v, last[v] = GAN_MAX(last[v], born[v]);
    }
    for (int i = 0; i < n && work_at; i++) { /* inference_only: the work, during its layer */
        int v = n_ids + i;
        size[v] = m->layers[i].n_work, born[v] = last[v] = 2 * i;
        work_at[i] = 0;
        if (computes(&m->layers[i]) && size[v]) items[n_items++] = v;
    }
    for (int a = 1; a < n_items; a++) /* largest first; equal ones in order */
        for (int c = a; c > 0 && size[items[c]] > size[items[c - 1]]; c--) {
            int t = items[c];
            items[c] = items[c - 1], items[c - 1] = t;
        }
    size_t offs[GAN_MAX_VALUES], total = 0;
    for (int a = 0; a < n_items; a++) {
        int v = items[a];
        size_t len = (size[v] + 15) / 16 * 16, off = 0;
        for (bool moved = true; moved;) {
            moved = false;
            for (int c = 0; c < a; c++) {
                int u = items[c];
                size_t ulen = (size[u] + 15) / 16 * 16;
                if (born[v] <= last[u] && born[u] <= last[v] && off < offs[u] + ulen &&
                    offs[u] < off + len)
                    off = offs[u] + ulen, moved = true;
            }
        }
        offs[v] = off;
        total = GAN_MAX(total, off + len);
        if (v < n_ids) t_at[v] = off;
        else work_at[v - n_ids] = off;
    }
    return total;
}

/* region + off, or NULL while measuring */
static float *in_region(float *region, size_t off) {
    return region ? region + off : NULL;
}

/* Hand out every block of the model from arena `a`. Called twice: once to
 * measure (pointers stay NULL), once for real. What lives only inside one
 * call is shared: the blocks' branch gradients (one pair of buffers for
 * every branch of every block, as a block's backward runs its branches one
 * after the other and copies or adds each result out before the next; one
 * join buffer per branch). The activations, the gradients between the
 * top-level steps of backward and the layers' work share one region
 * (place_gradients): a gradient or a work area overwrites activations
 * that backward has passed, as a framework frees them, or lies where a
 * forward has not written yet. */
static void plan_memory(gan_model *m, gan_arena *a) {
    int branch_most = 0, join_most = 0;
    for (int k = 0; k < m->n_blocks; k++) {
        const gan_block *b = &m->blocks[k];
        for (int j = 0; j < b->kind->n_branches; j++) {
            int lo = branch_first(b, j);
            branch_most = GAN_MAX(branch_most, largest_in(m, lo, lo + b->n[j], b->in_size));
        }
        if (b->kind->join_buffers) join_most = GAN_MAX(join_most, b->out_size);
    }
    bool train = !m->inference_only;
    if (!train) branch_most = join_most = 0; /* no backward */
    size_t rows = (size_t)m->max_batch;

    m->params = gan_arena_floats(a, m->n_params);
    m->grads = m->adam_m = m->adam_v = NULL;
    if (train) {
        m->grads = gan_arena_floats(a, m->n_params);
        m->adam_m = gan_arena_floats(a, m->n_params);
        m->adam_v = gan_arena_floats(a, m->n_params);
    }
    m->state = gan_arena_floats(a, m->n_state);
    for (int i = 0; i < m->n_layers; i++)
        m->layers[i].scratch = gan_arena_floats(a, m->layers[i].n_scratch);
    /* the transient values (plan_transients) in one area, which the branch gradients, live
     * only inside a block's backward, share */
    bool reuse[GAN_MAX_LAYERS] = {false}, trans[GAN_MAX_VALUES];
    for (int i = 0; i < m->n_layers; i++)
        reuse[i] = !computes(&m->layers[i]) || runs_in_place(m, i);
    int out_id = output_storage(m, reuse);
    size_t t_at[GAN_MAX_VALUES], t_work_at[GAN_MAX_LAYERS] = {0};
    size_t t_size = plan_transients(m, rows, reuse, out_id, trans, t_at, train ? NULL : t_work_at);
    size_t pp = (rows * branch_most + 15) / 16 * 16, rc = 0;
    for (int i = 0; i < m->n_layers; i++) {
        m->recompute[i] = i > 0 && recomputes(m, i - 1, reuse, out_id) ? i : 0;
        if (m->recompute[i]) rc = GAN_MAX(rc, rows * (size_t)m->layers[i - 1].out_size);
    }
    rc = (rc + 15) / 16 * 16;
    size_t t_need = GAN_MAX(2 * pp + rc, t_size);
    bool borrow = m->transient_from && t_need <= m->transient_from_n;
    m->n_transient = borrow ? m->transient_from_n : t_need;
    float *transient = m->transient =
        borrow ? (a->base ? m->transient_from : NULL) : gan_arena_floats(a, t_need);
    float *branch_grad[2], *join_buf[GAN_MAX_BRANCHES] = {NULL};
    for (int j = 0; j < 2; j++) branch_grad[j] = train ? in_region(transient, j * pp) : NULL;
    m->recompute_buf = rc ? in_region(transient, 2 * pp) : NULL;
    for (int k = 0; k < GAN_MAX_BRANCHES && join_most; k++)
        join_buf[k] = gan_arena_floats(a, rows * join_most);
    for (int k = 0; k < m->n_blocks; k++)
        for (int j = 0; j < GAN_MAX_BRANCHES; j++) {
            m->blocks[k].pp[j][0] = branch_grad[0];
            m->blocks[k].pp[j][1] = branch_grad[1];
            m->blocks[k].dys_buf[j] = join_buf[j];
        }
    m->adam_t_dev = gan_arena_bytes(a, sizeof *m->adam_t_dev);
    m->adam_ticket_dev = gan_arena_bytes(a, sizeof *m->adam_ticket_dev);

    /* the activation region: the input and the model's output (which backward never
     * overwrites), then each layer's own output and each block's output in layer order;
     * then the gradients */
    size_t off = 0, act_at[GAN_MAX_LAYERS + 1], out_at[GAN_MAX_BLOCKS] = {0};
    size_t end_after[GAN_MAX_LAYERS], grad_at[GAN_MAX_LAYERS] = {0}, work_at[GAN_MAX_LAYERS];
    bool high[GAN_MAX_LAYERS] = {false};
    act_at[0] = take(&off, rows * m->in_size);
    size_t out_off = take(&off, rows * m->out_size); /* the output's storage, if not the input */
    if (out_id == 0) off = out_off;
    size_t in_end = off;
    for (int i = 0; i < m->n_layers; i++) {
        act_at[i + 1] = reuse[i] || trans[i + 1] ? 0
                        : out_id == i + 1          ? out_off
                                                   : take(&off, rows * m->layers[i].out_size);
        const gan_block *b = block_ending_at(m, i);
        int k = b ? (int)(b - m->blocks) : -1, id = m->n_layers + 1 + k;
        if (b) out_at[k] = out_id == id ? out_off : trans[id] ? 0 : take(&off, rows * b->out_size);
        end_after[i] = off;
    }
    /* the work in the region, unless one area after it (all layers sharing it) is smaller;
     * the first gradient low or high, whichever needs less (placed last, for its offsets) */
    size_t size = 0, work_size = (m->n_work + 15) / 16 * 16;
    bool work_apart = false, first_high = false;
    for (int h = 0; h < 2 && train; h++) {
        size_t alone = place_gradients(m, rows, end_after, in_end, off, grad_at, high, NULL, h);
        size_t with = place_gradients(m, rows, end_after, in_end, off, grad_at, high, work_at, h);
        bool apart = with > alone + work_size;
        size_t total = apart ? alone + work_size : with;
        if (h == 0 || total < size + (work_apart ? work_size : 0))
            size = apart ? alone : with, work_apart = apart, first_high = h;
    }
    if (train) place_gradients(m, rows, end_after, in_end, off, grad_at, high, work_at, first_high);
    else size = off; /* the input and the output */
    float *region = gan_arena_floats(a, size);
    m->work = work_apart ? gan_arena_floats(a, m->n_work) : NULL;

    m->acts[0] = in_region(region, act_at[0]);
    for (int i = 0; i < m->n_layers; i++) {
        m->x_of[i] = input_of(m, i);
        m->acts[i + 1] = reuse[i]       ? m->x_of[i]
                         : trans[i + 1] ? in_region(transient, t_at[i + 1])
                                        : in_region(region, act_at[i + 1]);
        gan_block *b = (gan_block *)block_ending_at(m, i);
        int id = b ? m->n_layers + 1 + (int)(b - m->blocks) : 0;
        if (b)
            b->out_act = trans[id] ? in_region(transient, t_at[id])
                                   : in_region(region, out_at[b - m->blocks]);
        m->grad_of[i] = train ? in_region(region, high[i] ? size - grad_at[i] : grad_at[i]) : NULL;
        m->layers[i].work = !train     ? in_region(transient, t_work_at[i])
                            : work_apart ? m->work
                                         : in_region(region, work_at[i]);
    }
}

/* The host copies: the blocks themselves on the CPU, else a host arena. */
static gan_status plan_host(gan_model *m) {
    if (m->be->host_memory) {
        m->host.params = m->params, m->host.adam_m = m->adam_m, m->host.adam_v = m->adam_v;
        m->host.state = m->state;
        return GAN_OK;
    }
    gan_arena *a = &m->host_arena;
    size_t copies = m->inference_only ? 1 : 3; /* params, and Adam's moments for training */
    GAN_TRY(gan_arena_init(a, (copies * m->n_params + m->n_state + 4) * sizeof(float) + 4 * 64));
    m->host.params = gan_arena_floats(a, m->n_params);
    m->host.adam_m = m->inference_only ? NULL : gan_arena_floats(a, m->n_params);
    m->host.adam_v = m->inference_only ? NULL : gan_arena_floats(a, m->n_params);
    m->host.state = gan_arena_floats(a, m->n_state);
    return GAN_OK;
}

static gan_status join_shapes(gan_model *m, gan_block *b) {
    const int *out = NULL;
    b->in_size = shape_size(b->in);
    for (int k = 0; k < b->kind->n_branches; k++) {
        const int *o = b->n[k] ? m->layers[branch_first(b, k) + b->n[k] - 1].out : b->in;
        if (out && memcmp(out, o, 3 * sizeof *o) != 0)
            return gan_fail(GAN_ERR_SHAPE, "%s block: branch %s gives %dx%dx%d, branch %s "
                            "%dx%dx%d: its branches must give the same shape", b->kind->name,
                            b->kind->branch_names[k - 1], out[0], out[1], out[2],
                            b->kind->branch_names[k], o[0], o[1], o[2]);
        out = o;
    }
    memcpy(b->out, out, sizeof b->out);
    b->out_size = shape_size(b->out);
    return GAN_OK;
}

static bool shape_fits(const int s[3]) {
    return s[0] > 0 && s[1] > 0 && s[2] > 0 &&
           (int64_t)s[0] * s[1] * s[2] <= GAN_MAX_SAMPLE_VALUES;
}

gan_status gan_model_infer_shapes(gan_model *m, const char *name, int c, int h, int w,
                                  int max_batch) {
    m->failed_layer = -1;
    if (max_batch <= 0) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "batch size must be positive");
    m->name = name;
    m->max_batch = max_batch;
    m->in[0] = c, m->in[1] = h, m->in[2] = w;
    if (!shape_fits(m->in))
        return gan_fail(GAN_ERR_SHAPE, "%s: input %dx%dx%d is empty or larger than %d values",
                        name, c, h, w, GAN_MAX_SAMPLE_VALUES);
    m->in_size = shape_size(m->in);
    if (m->open_block)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: a %s block is not closed", name,
                        m->blocks[m->open_block - 1].kind->name);
    memset(m->block_of, 0, sizeof m->block_of);
    for (int k = 0; k < m->n_blocks; k++)
        for (int i = 0; i < block_layers(&m->blocks[k]); i++)
            m->block_of[m->blocks[k].first + i] = k + 1;
    const int *in = m->in;
    m->n_params = m->n_state = 0;
    for (int i = 0; i < m->n_layers; i++) {
        gan_layer *l = &m->layers[i];
        gan_block *b = m->block_of[i] ? &m->blocks[m->block_of[i] - 1] : NULL;
        if (b && i == b->first) memcpy(b->in, in, sizeof b->in);
        if (b && i != b->first && branch_of(b, i - 1) != branch_of(b, i)) in = b->in;
        memcpy(l->in, in, sizeof l->in);
        l->in_size = shape_size(l->in);
        l->max_batch = max_batch;
        gan_status s = l->ops->setup(l);
        if (s == GAN_OK && !shape_fits(l->out))
            s = gan_fail(GAN_ERR_SHAPE, "%s: output %dx%dx%d is empty or larger than %d values",
                         gan_layer_name(l), l->out[0], l->out[1], l->out[2],
                         GAN_MAX_SAMPLE_VALUES);
        if (s != GAN_OK) {
            m->failed_layer = i;
            return s;
        }
        l->out_size = shape_size(l->out);
        m->n_params += l->n_params;
        m->n_state += l->n_state;
        in = l->out;
        if (b && block_ending_at(m, i)) {
            gan_status js = join_shapes(m, b);
            if (js != GAN_OK) {
                m->failed_layer = i;
                return js;
            }
            in = b->out;
        }
    }
    memcpy(m->out, in, sizeof m->out);
    m->out_size = shape_size(m->out);
    return GAN_OK;
}


gan_status gan_model_build(gan_model *m, const char *name, int c, int h, int w, int max_batch,
                           const gan_backend *be) {
    m->be = be;
    gan_status s = gan_model_infer_shapes(m, name, c, h, w, max_batch);
    for (int i = 0; s == GAN_OK && i < m->n_layers; i++) { /* kernels the backend may lack */
        const gan_kernel *k = m->layers[i].ops->kernels;
        for (; s == GAN_OK && k && *k != GAN_K_COUNT; k++)
            s = gan_backend_require(be, *k, m->layers[i].ops->name);
        if (s != GAN_OK) m->failed_layer = i;
    }
    if (s != GAN_OK && m->failed_layer >= 0) {
        char where[96];
        snprintf(where, sizeof where, "%s layer %d (%s)", name, m->failed_layer,
                 gan_layer_name(&m->layers[m->failed_layer]));
        return gan_fail_prefix(s, where);
    }
    GAN_TRY(s);
    fuse_activations(m);
    place_activation_grads(m);
    defer_biases(m);
    m->n_work = 0;
    for (int i = 0; i < m->n_layers; i++) {
        gan_layer *l = &m->layers[i];
        l->n_work = l->ops->work ? l->ops->work(l, be) : 0;
        m->n_work = GAN_MAX(m->n_work, l->n_work);
    }

    gan_arena measure;
    gan_arena_measure(&measure);
    plan_memory(m, &measure);
    s = gan_arena_init_on(&m->arena, measure.used, be);
    if (s != GAN_OK) {
        char what[96];
        snprintf(what, sizeof what, "%s: %.1f MiB of %s memory", name,
                 (double)measure.used / (1 << 20), be->name);
        return gan_fail_prefix(s, what);
    }
    plan_memory(m, &m->arena);
    m->bound_in = m->acts[0];
    m->bound_out = m->own_out = (float *)gan_model_output(m);
    GAN_TRY(plan_host(m));

    size_t p = 0, st = 0;
    for (int i = 0; i < m->n_layers; i++) {
        gan_layer *l = &m->layers[i];
        l->params = m->params + p;
        l->grads = m->grads ? m->grads + p : NULL;
        l->state = m->state + st;
        p += l->n_params;
        st += l->n_state;
    }
    bind_deferred_biases(m);
    m->adam_t = 0;
    m->grads_zero = m->grads != NULL; /* the arena starts zeroed */
    return GAN_OK;
}

/* A copy of layer i whose params and state point into the host copies. */
static gan_layer host_view(const gan_model *m, int i, size_t p, size_t st) {
    gan_layer l = m->layers[i];
    if (!m->be->host_memory) {
        l.params = m->host.params + p;
        l.grads = NULL;
        l.state = m->host.state + st;
        l.scratch = NULL;
        l.work = NULL;
    }
    return l;
}

gan_status gan_model_init(gan_model *m, uint64_t seed, int net_id) {
    m->seed = seed;
    m->net_id = net_id;
    size_t p = 0, st = 0;
    for (int i = 0; i < m->n_layers; i++) {
        gan_layer l = host_view(m, i, p, st);
        l.ops->init(&l, seed, gan_rng_stream(GAN_RNG_INIT, ((uint64_t)net_id << 16) | (uint64_t)i));
        p += l.n_params;
        st += l.n_state;
    }
    return gan_model_upload(m);
}

/* The DCGAN initialisation (Radford et al. 2016; PyTorch's DCGAN example,
 * weights_init): the "weight" of every convolution N(0, 0.02), the gamma
 * ("weight") of every batch norm N(1, 0.02); the rest as the layers' own
 * init left it. Streams: the layer's init stream with tag 3 in bits 40..47
 * (rng.h), apart from its own init and spectral norm's u, v. */
gan_status gan_model_init_dcgan(gan_model *m) {
    size_t p = 0, st = 0;
    for (int i = 0; i < m->n_layers; i++) {
        gan_layer l = host_view(m, i, p, st);
        p += l.n_params;
        st += l.n_state;
        bool conv = strncmp(l.ops->name, "conv", 4) == 0;
        bool norm = (l.ops->flags & GAN_LAYER_BATCH_STATISTICS) != 0;
        if (!conv && !norm) continue;
        gan_layer_tensor ts[GAN_LAYER_MAX_TENSORS];
        int n = l.ops->tensors(&l, ts, GAN_LAYER_MAX_TENSORS);
        for (int k = 0; k < n; k++) {
            if (strcmp(ts[k].name, "weight") != 0 && strcmp(ts[k].name, "weight_orig") != 0)
                continue;
            uint64_t detail = ((uint64_t)m->net_id << 16) | (uint64_t)i | (3ull << 40);
            gan_rng_normal(m->seed, gan_rng_stream(GAN_RNG_INIT, detail), ts[k].data, ts[k].size);
            for (size_t j = 0; j < ts[k].size; j++)
                ts[k].data[j] = (norm ? 1.0f : 0.0f) + 0.02f * ts[k].data[j];
        }
    }
    return gan_model_upload(m);
}

gan_status gan_model_download(gan_model *m) {
    const gan_backend *be = m->be;
    if (be->host_memory) return GAN_OK;
    size_t np = m->n_params * sizeof(float);
    GAN_TRY(be->copy_to_host(be->ctx, m->host.params, m->params, np));
    if (!m->inference_only) {
        GAN_TRY(be->copy_to_host(be->ctx, m->host.adam_m, m->adam_m, np));
        GAN_TRY(be->copy_to_host(be->ctx, m->host.adam_v, m->adam_v, np));
    }
    return be->copy_to_host(be->ctx, m->host.state, m->state, m->n_state * sizeof(float));
}

gan_status gan_model_upload(gan_model *m) {
    const gan_backend *be = m->be;
    if (be->host_memory) return GAN_OK;
    size_t np = m->n_params * sizeof(float);
    be->copy_to_device(be->ctx, m->params, m->host.params, np);
    if (!m->inference_only) {
        be->copy_to_device(be->ctx, m->adam_m, m->host.adam_m, np);
        be->copy_to_device(be->ctx, m->adam_v, m->host.adam_v, np);
    }
    be->copy_to_device(be->ctx, m->state, m->host.state, m->n_state * sizeof(float));
    be->copy_to_device(be->ctx, m->adam_t_dev, &m->adam_t, sizeof m->adam_t);
    return be->synchronize(be->ctx); /* the sources may change once this returns */
}

void gan_model_free(gan_model *m) {
    gan_arena_free(&m->arena);
    gan_arena_free(&m->host_arena);
}

void gan_model_set_labels(gan_model *m, const int32_t *labels) {
    m->labels = labels;
}

void gan_model_set_rng_counter(gan_model *m, uint64_t counter) {
    m->rng_counter = counter;
}

bool gan_model_replayable(const gan_model *m) {
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].ops->stochastic && m->layers[i].ops->stochastic(&m->layers[i]))
            return false;
    return true;
}

/* The output of branch k of b after a forward (its input if it is empty). */
static const float *branch_output(const gan_model *m, const gan_block *b, int k) {
    return b->n[k] ? m->acts[branch_first(b, k) + b->n[k]] : m->x_of[b->first];
}

/* Point every layer input that reads the model's input at x, and every
 * pointer to the output's storage at out (gan_model_forward_at). */
static void bind(gan_model *m, const float *x, float *out) {
    if (x != m->bound_in)
        for (int i = 0; i < m->n_layers; i++)
            if (m->x_of[i] == m->bound_in) m->x_of[i] = (float *)x;
    m->bound_in = x;
    if (out == m->bound_out) return;
    for (int i = 1; i <= m->n_layers; i++)
        if (m->acts[i] == m->bound_out) m->acts[i] = out;
    for (int i = 0; i < m->n_layers; i++)
        if (m->x_of[i] == m->bound_out) m->x_of[i] = out;
    for (int k = 0; k < m->n_blocks; k++)
        if (m->blocks[k].out_act == m->bound_out) m->blocks[k].out_act = out;
    m->bound_out = out;
}

static const float *forward(gan_model *m, int N, bool train);

const float *gan_model_forward(gan_model *m, const float *x, int N, bool train) {
    if (x != m->acts[0]) m->be->copy(m->be->ctx, m->acts[0], x, (size_t)N * m->in_size * sizeof *x);
    bind(m, m->acts[0], m->own_out);
    return forward(m, N, train);
}

const float *gan_model_forward_at(gan_model *m, const float *x, float *out, int N, bool train) {
    bind(m, x ? x : m->acts[0], out ? out : m->own_out);
    return forward(m, N, train);
}

static const float *forward(gan_model *m, int N, bool train) {
    uint64_t tag = ((uint64_t)(m->net_id & 0xFF) << 48) | (m->rng_counter & 0xFFFFFFFFFFull);
    for (int i = 0; i < m->n_layers; i++) {
        gan_layer *l = &m->layers[i];
        l->labels = m->labels;
        if (train) {
            l->rng_seed = m->seed;
            l->rng_stream = gan_rng_stream(GAN_RNG_DROPOUT, tag | (uint64_t)i << 40);
        }
        if (computes(l)) l->ops->forward(l, m->be, m->x_of[i], m->acts[i + 1], N, train);
        const gan_block *b = block_ending_at(m, i);
        if (!b) continue;
        const float *xs[GAN_MAX_BRANCHES];
        for (int k = 0; k < b->kind->n_branches; k++) xs[k] = branch_output(m, b, k);
        b->kind->join_forward(m->be, b->out_act, xs, b->kind->n_branches,
                              (size_t)N * b->out_size);
    }
    if (train) m->rng_counter++;
    return gan_model_output(m);
}

/* Backward through the chain of layers [lo, hi) from g, the gradient of
 * layer hi - 1's output, writing each dx into at[i] (the model's planned
 * gradients, outside blocks) or, with at NULL, into bufs[*next] and
 * flipping *next (so never into the buffer holding the gradient read).
 * Layer `no_dx` (if in range) writes no dx: then NULL is returned; else the
 * gradient of layer lo's input. */
static const float *chain_backward(gan_model *m, int lo, int hi, const float *g,
                                   float *const *at, float *const bufs[2], int *next, int N,
                                   bool param_grads, int no_dx) {
    for (int i = hi - 1; i >= lo; i--) {
        gan_layer *l = &m->layers[i];
        if (!computes(l)) continue; /* dx is dy */
        float *dx = i == no_dx ? NULL : at ? at[i] : bufs[*next];
        const float *x = m->x_of[i];
        if (m->recompute[i]) { /* its input again, from the layer before's kept input */
            gan_layer *r = &m->layers[m->recompute[i] - 1];
            r->ops->forward(r, m->be, m->x_of[m->recompute[i] - 1], m->recompute_buf, N, true);
            x = m->recompute_buf;
        }
        l->ops->backward(l, m->be, x, m->acts[i + 1], g, dx, N, param_grads);
        if (!dx) return NULL;
        g = dx;
        if (!at) *next ^= 1;
    }
    return g;
}

/* Backward through block b from g (its output's gradient): each branch
 * from the gradient the join gives it, in its own buffers; the input's
 * gradient, the sum of the branches', is written to dst. */
static const float *block_backward(gan_model *m, gan_block *b, const float *g, float *dst, int N,
                                   bool param_grads) {
    const gan_backend *be = m->be;
    int n = b->kind->n_branches;
    const float *dys[GAN_MAX_BRANCHES];
    b->kind->join_backward(be, dys, b->dys_buf, g, n, (size_t)N * b->out_size);
    size_t count = (size_t)N * b->in_size;
    for (int k = 0; k < n; k++) {
        int lo = branch_first(b, k), next = 0;
        const float *dx = chain_backward(m, lo, lo + b->n[k], dys[k], NULL, b->pp[k], &next, N,
                                         param_grads, -1);
        if (k == 0) be->copy(be->ctx, dst, dx, count * sizeof *dst);
        else be->axpy(be->ctx, dst, dx, count, 1.0f);
    }
    return dst;
}

const float *gan_model_backward(gan_model *m, const float *dy, int N, bool param_grads,
                                bool want_dx) {
    int first = 0; /* the first layer that computes: its dx is the model's dx */
    while (first < m->n_layers && !computes(&m->layers[first])) first++;
    if (param_grads) m->grads_zero = false;
    const float *grad = dy;
    for (int i = m->n_layers - 1; i >= 0 && grad;) {
        if (m->block_of[i]) { /* i ends a block */
            gan_block *b = &m->blocks[m->block_of[i] - 1];
            grad = block_backward(m, b, grad, m->grad_of[b->first], N, param_grads);
            i = b->first - 1;
            continue;
        }
        int lo = i; /* the plain layers down to the previous block */
        while (lo > 0 && !m->block_of[lo - 1]) lo--;
        grad = chain_backward(m, lo, i + 1, grad, m->grad_of, NULL, NULL, N, param_grads,
                              want_dx ? -1 : first);
        i = lo - 1;
    }
    return want_dx ? grad : NULL;
}

void gan_model_zero_grads(gan_model *m) {
    if (m->grads_zero) return;
    m->be->zero(m->be->ctx, m->grads, m->n_params);
    m->grads_zero = true;
}

void gan_model_adam_step(gan_model *m, float lr, float beta1, float beta2, float eps) {
    const gan_backend *be = m->be;
    m->adam_t++;
    bool spend = !m->keep_grads;
    m->grads_zero = spend; /* the kernels zero them */
    if (!be->host_memory) { /* the same lr_t, computed where the step count lives */
        be->adam_dev(be->ctx, m->params, m->adam_m, m->adam_v, m->grads, m->n_params,
                     m->adam_t_dev, m->adam_ticket_dev, lr, beta1, beta2, eps, spend);
        return;
    }
    double t = (double)m->adam_t;
    float lr_t = (float)(lr * sqrt(1.0 - pow(beta2, t)) / (1.0 - pow(beta1, t)));
    be->adam(be->ctx, m->params, m->adam_m, m->adam_v, m->grads, m->n_params, lr_t, beta1, beta2,
             eps, spend);
}

gan_status gan_model_each_tensor(const gan_model *m, gan_tensor_fn fn, void *ctx) {
    size_t p = 0, st = 0;
    for (int i = 0; i < m->n_layers; i++) {
        gan_layer l = host_view(m, i, p, st);
        p += l.n_params;
        st += l.n_state;
        gan_layer_tensor t[GAN_LAYER_MAX_TENSORS];
        int n = l.ops->tensors(&l, t, GAN_LAYER_MAX_TENSORS);
        char path[96];
        gan_model_layer_path(m, i, path, sizeof path);
        for (int k = 0; k < n; k++) {
            char name[128];
            snprintf(name, sizeof name, "%s.%s", path, t[k].name);
            GAN_TRY(fn(ctx, name, &t[k]));
        }
    }
    return GAN_OK;
}
