// The GEMM driver: blocking, packing and threading around the per-target micro-kernel.
//
// The five loops of BLIS: JC (NC columns of C) > PC (KC of the depth) > IC (MC rows) > JR (NR)
// > IR (MR). B's KC x NC block is packed once per (JC, PC), A's MC x KC block once per IC, and
// the team splits the packing and the JR x IR tiles. Every element of C sums its K products in
// the same order, whatever the thread count: PC is split only by depth_split.h, which keeps
// that order.
#include "simdgrad/gemm.h"

#include <omp.h>

#include <algorithm>
#include <string>

#include "lib/gemm/blocking.h"
#include "lib/gemm/depth_split.h"
#include "lib/gemm/gemm_kernels.h"
#include "lib/gemm/pack_buffer.h"
#include "lib/gemm/pack_source.h"
#include "lib/machine/denormals.h"
#include "lib/parallel_segments.h"
#include "lib/prefetch.h"
#include "simdgrad/elementwise.h"
#include "simdgrad/index_range.h"
#include "simdgrad/threading.h"

namespace simdgrad {
namespace {

// Below this many multiply-adds a fork/join costs more than it saves; the tiles are the same.
constexpr size_t kParallelMinMultiplyAdds = size_t{1} << 18;

// A row-major op(B) is read in place, without packing its full-width panels, when few A panels
// reuse each B panel (M small): then copying B costs more than the strided reads it saves.
#ifndef SIMDGRAD_B_IN_PLACE_MAX_ROWS
#define SIMDGRAD_B_IN_PLACE_MAX_ROWS 256
#endif
constexpr size_t kBInPlaceMaxRows = SIMDGRAD_B_IN_PLACE_MAX_ROWS;

// op(A) is read in place, without packing its full panels, when C has at most this many B
// panels of columns: each A panel then serves so few tiles that copying it costs more than the
// strided broadcasts it saves. Measured (float, one thread): +10-60% at 1-4 panels (N <= 128)
// on every transpose pair; at 8 panels +5% for A row-major but -8% for a transposed A with a
// 4 KiB row stride; neutral to -3% at 25 panels (N = 784).
constexpr size_t kAInPlaceMaxPanels = 4;

// A team packs every block of op(A) and op(B) before any tile runs, and then needs no barrier
// until the end, when the packed operands take at most this much memory. Block by block, a
// team waits twice per block (packed, then consumed): the forward GEMM of training (Cᵀ = W Xᵀ,
// 4 depth blocks x 5 row blocks) crossed 24 barriers per call, at 1.4-1.7 us each on a 2-core
// Zen 5 virtual machine. The packed panels are the same bits either way.
constexpr size_t kWholePackMaxBytes = size_t{2} << 20;

// Shared packed panels cost more than their packing: a member writing panels that another
// member read in the previous call waits for the other core to give up each line. When the
// GEMM has at least this many multiply-adds per packed element and member, every member packs
// the whole problem into buffers of its own instead (no barrier, no line changing cores): the
// weight-gradient GEMM of training (784 x 784 x 128) at 2 threads, measured on the Zen 5,
// 451 -> 407 us best.
constexpr size_t kOwnPackMinMultiplyAddsPerElement = 128;

// Everything a team member needs to run its share of one GEMM.
template <class T>
struct GemmPlan {
  const detail::GemmKernels<T>& kernels;
  detail::Blocking block;
  size_t m, n, k;
  detail::PackSource<T> source_a, source_b;
  T* packed_a;  // MC x KC (every block of op(A) when whole_pack), shared by the team
  T* packed_b;  // KC x NC (every block of op(B) when whole_pack), shared by the team
  size_t packed_a_elements, packed_b_elements;  // the buffers' sizes
  MatrixView<T> c;
  T alpha, beta;
  const T* bias;
  bool relu;
  bool b_in_place;  // full panels of a row-major op(B) are read by the micro-kernel
  bool a_in_place;  // full panels of op(A) are read by the micro-kernel
  bool whole_pack;  // a team packs all blocks first (the buffers hold them all)
  bool own_pack;    // with whole_pack: each member packs them all, into buffers of its own
  // C is Cᵀ of the caller's result (computes_transposed): each member writes its rows of C,
  // transposed and with the caller's epilogue, into `to` once its tiles are done.
  struct Transposed {
    MatrixView<T> to;
    const T* bias;
    bool relu;
  };
  const Transposed* transposed;
};

// Whether a GEMM is worth a team (run_on_team): below kParallelMinMultiplyAdds, or inside a
// parallel region, it runs on the calling thread alone (a parallel region costs about 8 times
// a 16x16x16 GEMM).
inline bool worth_a_team(size_t multiply_adds) {
  return !omp_in_parallel() && multiply_adds >= kParallelMinMultiplyAdds;
}

// Waits for the whole team (nothing to wait for alone, and no OpenMP call then).
inline void team_barrier(int size) {
  if (size > 1) {
#pragma omp barrier
  }
}

// Where a member is in the BLIS loops: a column block (JC) of C, a depth block (PC), how many
// of the column block's B panels the micro-kernel reads in place, and where the block's packed
// B panels are in the plan's buffer.
struct BlockPosition {
  size_t jc, nc, n_panels;
  size_t pc, kc;
  size_t b_in_place_panels;
  bool first_depth_block, last_depth_block;
  size_t packed_b_offset;
};

// Where the packed panels of a block start in the plan's buffers: block by block a buffer holds
// one block; with whole_pack it holds every block, B's by (column block, depth block), A's by
// (depth block, row block).
template <class T>
size_t packed_b_offset(const GemmPlan<T>& plan, size_t jc, size_t pc) {
  if (!plan.whole_pack) return 0;
  const size_t depth_blocks = div_ceil(plan.k, plan.block.kc);
  return (jc / plan.block.nc * depth_blocks + pc / plan.block.kc) * plan.block.kc * plan.block.nc;
}

template <class T>
size_t packed_a_offset(const GemmPlan<T>& plan, size_t pc, size_t ic) {
  if (!plan.whole_pack) return 0;
  const size_t row_blocks = div_ceil(plan.m, plan.block.mc);
  return (pc / plan.block.kc * row_blocks + ic / plan.block.mc) * plan.block.mc * plan.block.kc;
}

template <class T>
BlockPosition block_position(const GemmPlan<T>& plan, size_t jc, size_t pc) {
  BlockPosition at{};
  at.jc = jc;
  at.nc = std::min(plan.block.nc, plan.n - jc);
  at.n_panels = div_ceil(at.nc, plan.kernels.nr);
  // An in-place B's panels are read by the micro-kernel where the tile reads only valid
  // columns: full panels, and a last panel of exactly one vector (784 = 24 x 32 + 16). Only
  // another ragged last panel is packed.
  const size_t last_panel_columns = at.nc - (at.n_panels - 1) * plan.kernels.nr;
  const bool last_panel_in_place =
      last_panel_columns == plan.kernels.nr || last_panel_columns == plan.kernels.lanes;
  at.b_in_place_panels = !plan.b_in_place ? 0 : at.n_panels - (last_panel_in_place ? 0 : 1);
  at.pc = pc;
  at.kc = std::min(plan.block.kc, plan.k - pc);
  at.first_depth_block = pc == 0;
  at.last_depth_block = pc + at.kc == plan.k;
  at.packed_b_offset = packed_b_offset(plan, jc, pc);
  return at;
}

// The micro-kernel on tile (p, q) of the block at row ic: row panel p of A, column panel q of B.
template <class T>
void run_tile(const GemmPlan<T>& plan, const BlockPosition& at, size_t ic, size_t mc,
              const T* packed_a, size_t p, size_t q) {
  const detail::GemmKernels<T>& kernels = plan.kernels;
  const size_t mr = kernels.mr, nr = kernels.nr;
  const size_t row = ic + p * mr, col = at.jc + q * nr;
  const detail::TileOutput<T> out{plan.c.row(row) + col,
                                  plan.c.stride(),
                                  std::min(mr, plan.m - row),
                                  std::min(nr, plan.n - col),
                                  plan.alpha,
                                  at.first_depth_block ? plan.beta : T(1),
                                  at.last_depth_block && plan.bias ? plan.bias + col : nullptr,
                                  at.last_depth_block && plan.relu};
  const bool b_in_place = q < at.b_in_place_panels;
  const bool a_in_place = plan.a_in_place && p * mr + mr <= mc;
  const detail::PackSource<T>& a = plan.source_a;
  const bool row_major_a = a_in_place && a.stride_k == 1;
  const auto micro_kernel = kernels.micro_kernels[row_major_a][out.cols <= kernels.lanes];
  micro_kernel(at.kc, a_in_place ? a.at(row, at.pc) : packed_a + p * mr * at.kc,
               a_in_place ? (row_major_a ? a.stride_w : a.stride_k) : mr,
               b_in_place ? plan.source_b.at(col, at.pc)
                          : plan.packed_b + at.packed_b_offset + q * nr * at.kc,
               b_in_place ? plan.source_b.stride_k : nr, out);
}

// The row panels of C a member owns with owns_row_band: a band of whole panels of all of C (an
// empty range for none), so that this member alone reads (or packs) those rows of A, and alone
// owns whole rows of C (computes_transposed writes them out itself).
template <class T>
IndexRange row_band(const GemmPlan<T>& plan, int id, int size) {
  return balanced_part(div_ceil(plan.m, plan.kernels.mr), id, size);
}

// Whether a member of a team owns a band of C's rows rather than a share of its tiles in
// JR-major order: when it reads A in place, or packs A itself (own_pack), so that it reads or
// packs only the rows of A its band needs.
template <class T>
bool owns_row_band(const GemmPlan<T>& plan, int size) {
  return size > 1 && (plan.a_in_place || plan.own_pack);
}

// Asks for part `part` of `parts` of the rows of B panel q, when the micro-kernel will read that
// panel in place: its kc rows of nr elements, a row of B apart. The hardware prefetchers do not
// follow that stride, and in training B is W, just rewritten by the optimizer or evicted since
// the forward pass: the first tile of every panel waited for its rows, one line after another
// (the input gradient took 8-20% longer in the step than alone on one thread). Asked for while
// the previous panel's tiles run, each tile a share of the rows, they arrive in L2 in time.
template <class T>
SIMDGRAD_PREFETCHING inline void prefetch_b_panel(const GemmPlan<T>& plan, const BlockPosition& at,
                                                  size_t q, size_t part, size_t parts) {
  if (q >= at.b_in_place_panels) return;
  const size_t col = at.jc + q * plan.kernels.nr;
  const size_t row_bytes = std::min(plan.kernels.nr, plan.n - col) * sizeof(T);
  const IndexRange rows = balanced_part(at.kc, part, parts);
  for (size_t r = rows.begin; r < rows.end; ++r) {
    prefetch_lines<0, 2>(plan.source_b.at(col, at.pc + r), row_bytes);
  }
}

// Asks for the rows of A panel p of the block at row ic when the micro-kernel will read them in
// place from a row-major A (the forward GEMM's W, run as Cᵀ = W Xᵀ): mr rows of kc elements.
// The tiles of the first column panel are the first to read each row, in training from memory
// (the optimizer has just rewritten W); asked for one tile ahead, the rows are in L2 in time.
template <class T>
SIMDGRAD_PREFETCHING inline void prefetch_a_panel(const GemmPlan<T>& plan, const BlockPosition& at,
                                                  size_t ic, size_t mc, size_t p) {
  const size_t mr = plan.kernels.mr;
  if (!plan.a_in_place || plan.source_a.stride_k != 1 || (p + 1) * mr > mc) return;
  for (size_t r = ic + p * mr; r < ic + (p + 1) * mr; ++r) {
    prefetch_lines<0, 2>(plan.source_a.at(r, at.pc), at.kc * sizeof(T));
  }
}

// The member's tiles of the block at row ic (the BLIS loops JR and IR). Tiles are visited
// JR-major: each B panel is reused across the A panels while it is hot in L1. Which tiles a
// member owns is a contiguous share of them in JR-major order, except with owns_row_band: the
// member then owns its row band's tiles. JR-major shares made every member read the whole A
// block, twice the traffic of one thread; in training the forward GEMM's weights come from
// memory (the optimizer has just written them), and the 4-layer step at 2 threads ran 11-22%
// faster; the weight gradient packs dZ = dY * [Y > 0], whose mask and gradient lines half
// sit in the other core's cache. Any split gives the same bits: a tile's sums do not depend on
// who computes it. The share depends on the shape only, so a member owns the same tiles of C
// in every depth block (whole_pack relies on it: no barrier between depth blocks).
template <class T>
void run_tiles(const GemmPlan<T>& plan, const BlockPosition& at, size_t ic, size_t mc,
               const T* packed_a, int id, int size) {
  const size_t n_panels = at.n_panels, m_panels = div_ceil(mc, plan.kernels.mr);
  if (owns_row_band(plan, size)) {
    const IndexRange band = row_band(plan, id, size);
    const size_t first = ic / plan.kernels.mr;  // the block's first panel of C
    const size_t p0 = std::clamp(band.begin, first, first + m_panels) - first;
    const size_t p1 = std::clamp(band.end, first, first + m_panels) - first;
    for (size_t q = 0; q < n_panels; ++q) {
      for (size_t p = p0; p < p1; ++p) {
        if (q == 0 && p + 1 < p1) prefetch_a_panel(plan, at, ic, mc, p + 1);
        prefetch_b_panel(plan, at, q + 1, p - p0, p1 - p0);
        run_tile(plan, at, ic, mc, packed_a, p, q);
      }
    }
    return;
  }
  const IndexRange tiles = balanced_part(n_panels * m_panels, id, size);
  // (q, p) of the first tile is divided out once, then counted: a division per tile cost ~1%.
  size_t q = tiles.begin / m_panels, p = tiles.begin % m_panels;
  const size_t first_q = q;
  for (size_t t = tiles.begin; t < tiles.end; ++t) {
    // The next panels' rows, if this member runs their tiles.
    if (q == first_q && t + 1 < tiles.end && p + 1 < m_panels)
      prefetch_a_panel(plan, at, ic, mc, p + 1);
    if ((q + 1) * m_panels < tiles.end) prefetch_b_panel(plan, at, q + 1, p, m_panels);
    run_tile(plan, at, ic, mc, packed_a, p, q);
    if (++p == m_panels) {
      p = 0;
      ++q;
    }
  }
}

// The packing of a block is cut into tasks of neighbouring panels, shared by the team.
// Full panels of an in-place A or B are read by the micro-kernel and not packed.
template <class T>
size_t a_pack_tasks(const GemmPlan<T>& plan, size_t mc) {
  const size_t mr = plan.kernels.mr;
  const size_t first_packed = plan.a_in_place ? mc / mr : 0;
  return div_ceil(div_ceil(mc, mr) - first_packed, detail::panels_per_pack_task(mr, sizeof(T)));
}

// The row panels of the block at row ic that A's packing task t packs, counted within the block.
template <class T>
IndexRange a_task_panels(const GemmPlan<T>& plan, size_t mc, size_t t) {
  const size_t mr = plan.kernels.mr, per_task = detail::panels_per_pack_task(mr, sizeof(T));
  const size_t first = (plan.a_in_place ? mc / mr : 0) + t * per_task;
  return {first, std::min(first + per_task, div_ceil(mc, mr))};
}

template <class T>
void pack_a_task(const GemmPlan<T>& plan, const BlockPosition& at, size_t ic, size_t mc, size_t t) {
  const size_t mr = plan.kernels.mr;
  const IndexRange panels = a_task_panels(plan, mc, t);
  const size_t row = panels.begin * mr;
  detail::pack_panels(plan.kernels, plan.source_a, ic + row, at.pc,
                      std::min(panels.size() * mr, mc - row), mr, at.kc,
                      plan.packed_a + packed_a_offset(plan, at.pc, ic) + row * at.kc);
}

template <class T>
size_t b_pack_tasks(const GemmPlan<T>& plan, const BlockPosition& at) {
  const size_t per_task = detail::panels_per_pack_task(plan.kernels.nr, sizeof(T));
  return div_ceil(at.n_panels - at.b_in_place_panels, per_task);
}

template <class T>
void pack_b_task(const GemmPlan<T>& plan, const BlockPosition& at, size_t t) {
  const size_t nr = plan.kernels.nr, per_task = detail::panels_per_pack_task(nr, sizeof(T));
  const size_t q = at.b_in_place_panels + t * per_task, col = q * nr;
  detail::pack_panels(plan.kernels, plan.source_b, at.jc + col, at.pc,
                      std::min(per_task * nr, at.nc - col), nr, at.kc,
                      plan.packed_b + at.packed_b_offset + q * nr * at.kc);
}

// Every packing task of the whole problem in a fixed order: each block of B, and each of A
// (A's blocks do not depend on the column block: they are packed once). `a_task` is also
// told the row panels of all of C the task packs.
template <class T, class BTask, class ATask>
void for_each_pack_task(const GemmPlan<T>& plan, const BTask& b_task, const ATask& a_task) {
  for (size_t jc = 0; jc < plan.n; jc += plan.block.nc) {
    for (size_t pc = 0; pc < plan.k; pc += plan.block.kc) {
      const BlockPosition at = block_position(plan, jc, pc);
      for (size_t t = 0, n = b_pack_tasks(plan, at); t < n; ++t)
        b_task([&] { pack_b_task(plan, at, t); });
      for (size_t ic = 0; jc == 0 && ic < plan.m; ic += plan.block.mc) {
        const size_t mc = std::min(plan.block.mc, plan.m - ic), first = ic / plan.kernels.mr;
        for (size_t t = 0, n = a_pack_tasks(plan, mc); t < n; ++t) {
          const IndexRange panels = a_task_panels(plan, mc, t);
          a_task([&] { pack_a_task(plan, at, ic, mc, t); },
                 IndexRange{first + panels.begin, first + panels.end});
        }
      }
    }
  }
}

// own_pack: the member packs, into buffers of its own and waiting for no one, every block of
// B and the panels of A its row band needs.
template <class T>
void pack_own_share(const GemmPlan<T>& plan, int id, int size) {
  const IndexRange band = row_band(plan, id, size);
  for_each_pack_task(
      plan, [](const auto& pack) { pack(); },
      [&](const auto& pack, IndexRange panels) {
        if (panels.begin < band.end && band.begin < panels.end) pack();
      });
}

// whole_pack: the member packs its share of every block of B and of A, then waits for the
// team once.
template <class T>
void pack_whole_problem(const GemmPlan<T>& plan, int id, int size) {
  // Every task in a fixed order; the member runs those of its share.
  const auto for_each_task = [&](const auto& task) {
    for_each_pack_task(plan, task, [&](const auto& pack, IndexRange) { task(pack); });
  };
  size_t tasks = 0;
  for_each_task([&](const auto&) { ++tasks; });
  const IndexRange mine = balanced_part(tasks, id, size);
  size_t index = 0;
  for_each_task([&](const auto& pack) {
    if (index >= mine.begin && index < mine.end) pack();
    ++index;
  });
  team_barrier(size);
}

// The row blocks of one depth block (the BLIS loop IC): the member packs its share of each A
// block, then computes its tiles (with whole_pack, only its tiles).
template <class T>
void run_row_blocks(const GemmPlan<T>& plan, const BlockPosition& at, int id, int size) {
  for (size_t ic = 0; ic < plan.m; ic += plan.block.mc) {
    const size_t mc = std::min(plan.block.mc, plan.m - ic);
    const T* const packed_a = plan.packed_a + packed_a_offset(plan, at.pc, ic);
    if (plan.whole_pack) {
      run_tiles(plan, at, ic, mc, packed_a, id, size);
      continue;
    }
    const size_t a_tasks = a_pack_tasks(plan, mc);
    for (auto [t, end] = balanced_part(a_tasks, id, size); t < end; ++t) {
      pack_a_task(plan, at, ic, mc, t);
    }
    if (a_tasks > 0) team_barrier(size);  // the same decision on every member
    run_tiles(plan, at, ic, mc, packed_a, id, size);
    team_barrier(size);  // before the next block's packing overwrites the panels
  }
}

// The depth blocks of one column block (the BLIS loop PC): the member packs its share of each
// B block (unless whole_pack did), then runs the row blocks.
template <class T>
void run_depth_blocks(const GemmPlan<T>& plan, size_t jc, int id, int size) {
  for (size_t pc = 0; pc < plan.k; pc += plan.block.kc) {
    const BlockPosition at = block_position(plan, jc, pc);
    if (!plan.whole_pack) {
      const size_t b_tasks = b_pack_tasks(plan, at);
      for (auto [t, end] = balanced_part(b_tasks, id, size); t < end; ++t) pack_b_task(plan, at, t);
      if (b_tasks > 0) team_barrier(size);  // the same decision on every member
    }
    run_row_blocks(plan, at, id, size);
  }
}

// The member's rows of C (Cᵀ of the caller's result), written out transposed with the
// caller's epilogue. No wait: computes_transposed reads op(A) in place (C has at most
// kAInPlaceMaxPanels column panels, no mask), so the member computed exactly its row band.
template <class T>
void write_transposed(const GemmPlan<T>& plan, int id, int size) {
  const size_t mr = plan.kernels.mr;
  const IndexRange band = row_band(plan, id, size);
  const size_t begin = std::min(band.begin * mr, plan.m), end = std::min(band.end * mr, plan.m);
  if (begin == end) return;
  const typename GemmPlan<T>::Transposed& t = *plan.transposed;
  plan.kernels.transpose_epilogue(plan.c.row(begin), plan.c.stride(),
                                  {t.to.data() + begin, t.to.stride(), t.to.rows(), end - begin,
                                   T(1), T(0), t.bias ? t.bias + begin : nullptr, t.relu});
}

// One team member's part of the BLIS loops, from the outermost (JC, column blocks of C). Every
// member runs the same loops; the packing of each block and its tiles are split in shares,
// with a barrier after each phase (with whole_pack, one barrier after all the packing).
template <class T>
void run_team_member(const GemmPlan<T>& plan, int id, int size) {
  const FlushDenormals flush_denormals;  // on every member, restored when it is done
  if (plan.own_pack) {
    // The calling thread (member 0) packs into the plan's buffers, which are its own; the other
    // members into buffers of the pool thread's, kept between GEMMs.
    thread_local detail::PackBuffer<T> own_a, own_b;
    GemmPlan<T> own = plan;
    if (id != 0) {
      own.packed_a = own_a.reserve(plan.packed_a_elements);
      own.packed_b = own_b.reserve(plan.packed_b_elements);
    }
    pack_own_share(own, id, size);
    for (size_t jc = 0; jc < own.n; jc += own.block.nc) run_depth_blocks(own, jc, id, size);
  } else {
    if (plan.whole_pack) pack_whole_problem(plan, id, size);
    for (size_t jc = 0; jc < plan.n; jc += plan.block.nc) run_depth_blocks(plan, jc, id, size);
  }
  if (plan.transposed) write_transposed(plan, id, size);
}

// C has few rows and op(B) is transposed (NT, TT): C is computed as Cᵀ = op(B)ᵀ op(A)ᵀ, where
// op(B)ᵀ is B itself and is read in place by the micro-kernel (A's in-place rule, C's rows
// being the swapped problem's columns) instead of being transposed panel by panel on every
// call, which took 9% of the 128x784x784 forward GEMM; only the small op(A) is packed. A
// transposing pass then writes C with the epilogue. The choice depends on the tile width, so
// both ways must give the same bits: they do for beta = 0 (each element sums its depth blocks,
// then adds the bias), but with beta != 0 the direct way adds beta*C before the first depth
// block and this one after the last, so it is taken only for beta = 0.
bool computes_transposed(bool tb, size_t m, size_t n, size_t nr, bool masked_a, bool beta_zero) {
  return tb && !masked_a && beta_zero && div_ceil(m, nr) <= kAInPlaceMaxPanels && n > m;
}

// How many blocks of op(A) and op(B) the packing buffers hold: one each, or all of them when a
// team will run the GEMM and the operands it packs (not those read in place, whose buffer only
// receives a ragged last panel per block) fit kWholePackMaxBytes.
struct PackedBlocks {
  size_t a, b;
  bool whole, own;
};

PackedBlocks packed_blocks(const detail::Blocking& block, size_t m, size_t n, size_t k,
                           size_t element_size, bool a_in_place, bool b_in_place) {
  const size_t depth_blocks = div_ceil(k, block.kc);
  const size_t a_blocks = depth_blocks * div_ceil(m, block.mc);
  const size_t b_blocks = depth_blocks * div_ceil(n, block.nc);
  const size_t a_bytes = a_in_place ? 0 : a_blocks * block.mc * block.kc * element_size;
  const size_t b_bytes = b_in_place ? 0 : b_blocks * block.nc * block.kc * element_size;
  const size_t team = size_t(omp_get_max_threads()), packed = (a_bytes + b_bytes) / element_size;
  if (team > 1 && worth_a_team(m * n * k) && a_bytes + b_bytes <= kWholePackMaxBytes) {
    return {a_blocks, b_blocks, true,
            m * n * k >= kOwnPackMinMultiplyAddsPerElement * team * packed};
  }
  return {1, 1, false, false};
}

// The GEMM once its arguments are checked. With `transposed`, C is Cᵀ of the caller's result
// and each member writes its rows of it out (GemmPlan::Transposed), in the same team.
template <class T>
void run_gemm(bool ta, bool tb, T alpha, MatrixView<const T> a, MatrixView<const T> b, T beta,
              MatrixView<T> c, const GemmEpilogue<T>& epilogue, MatrixView<const T> mask,
              const typename GemmPlan<T>::Transposed* transposed) {
  const size_t m = c.rows(), n = c.cols(), k = ta ? a.rows() : a.cols();
  const detail::GemmKernels<T>& kernels = detail::gemm_kernels<T>();
  const size_t mr = kernels.mr, nr = kernels.nr;
  const detail::Blocking block = detail::choose_blocking(m, n, k, mr, nr, sizeof(T));
  const detail::PackSource<T> source_b = detail::pack_source(b, !tb, MatrixView<const T>());
  const bool b_in_place = source_b.stride_w == 1 && m <= kBInPlaceMaxRows;
  const bool a_in_place = mask.empty() && div_ceil(n, nr) <= kAInPlaceMaxPanels;
  const PackedBlocks blocks = packed_blocks(block, m, n, k, sizeof(T), a_in_place, b_in_place);
  thread_local detail::PackBuffer<T> a_buffer, b_buffer;
  const GemmPlan<T> plan{kernels,
                         block,
                         m,
                         n,
                         k,
                         detail::pack_source(a, ta, mask),
                         source_b,
                         a_buffer.reserve(blocks.a * block.mc * block.kc),
                         b_buffer.reserve(blocks.b * block.nc * block.kc),
                         blocks.a * block.mc * block.kc,
                         blocks.b * block.nc * block.kc,
                         c,
                         alpha,
                         beta,
                         epilogue.bias.empty() ? nullptr : epilogue.bias.data(),
                         epilogue.activation == Activation::kRelu,
                         b_in_place,
                         a_in_place,
                         blocks.whole,
                         blocks.own,
                         transposed};

  run_on_team(worth_a_team(m * n * k), [&](int id, int size) { run_team_member(plan, id, size); });
}

template <class T>
void gemm_transposed(bool ta, T alpha, MatrixView<const T> a, MatrixView<const T> b,
                     MatrixView<T> c, const GemmEpilogue<T>& epilogue) {
  const size_t m = c.rows(), n = c.cols();
  thread_local detail::PackBuffer<T> transposed_buffer;  // Cᵀ, n x m
  const MatrixView<T> ct(transposed_buffer.reserve(n * m), n, m, m);
  const typename GemmPlan<T>::Transposed out{c,
                                             epilogue.bias.empty() ? nullptr : epilogue.bias.data(),
                                             epilogue.activation == Activation::kRelu};
  run_gemm<T>(false, !ta, alpha, b, a, T(0), ct, {}, {}, &out);
}

template <class T>
std::string operand_shape(const char* name, Transpose t, MatrixView<const T> x) {
  return std::string(name) + " " + shape_string(x) + (t == Transpose::kYes ? " transposed" : "");
}

// C = act(beta*C + bias) for the cases with no products to add (K == 0 or alpha == 0).
template <class T>
void scale_and_epilogue(T beta, MatrixView<T> c, const GemmEpilogue<T>& epilogue) {
  if (beta == T(0)) {
    fill(c, T(0));
  } else if (beta != T(1)) {
    scale(beta, MatrixView<const T>(c), c);
  }
  if (!epilogue.bias.empty()) add_row_vector(epilogue.bias, c);
  if (epilogue.activation == Activation::kRelu) relu(MatrixView<const T>(c), c);
}

}  // namespace

template <class T>
void gemm(Transpose transpose_a, Transpose transpose_b, T alpha, MatrixView<const T> a,
          MatrixView<const T> b, T beta, MatrixView<T> c, const GemmEpilogue<T>& epilogue,
          const GemmPrologue<T>& prologue) {
  const bool ta = transpose_a == Transpose::kYes;
  const bool tb = transpose_b == Transpose::kYes;
  const size_t m = ta ? a.cols() : a.rows();
  const size_t k = ta ? a.rows() : a.cols();
  const size_t kb = tb ? b.cols() : b.rows();
  const size_t n = tb ? b.rows() : b.cols();
  if (k != kb || c.rows() != m || c.cols() != n) {
    throw std::invalid_argument("gemm: shapes do not chain, " + operand_shape("A", transpose_a, a) +
                                " times " + operand_shape("B", transpose_b, b) + " into C " +
                                shape_string(c));
  }
  if (!epilogue.bias.empty() && (epilogue.bias.rows() != 1 || epilogue.bias.cols() != n)) {
    throw std::invalid_argument("gemm: bias must be 1x" + std::to_string(n) + ", got " +
                                shape_string(epilogue.bias));
  }
  const MatrixView<const T> mask = prologue.a_relu_mask;
  if (!mask.empty() && (mask.rows() != a.rows() || mask.cols() != a.cols())) {
    throw std::invalid_argument("gemm: the ReLU mask of A must have A's shape " + shape_string(a) +
                                ", got " + shape_string(mask));
  }
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == T(0)) return scale_and_epilogue(beta, c, epilogue);

  const detail::GemmKernels<T>& kernels = detail::gemm_kernels<T>();
  if (computes_transposed(tb, m, n, kernels.nr, !mask.empty(), beta == T(0))) {
    return gemm_transposed(ta, alpha, a, b, c, epilogue);  // beta is 0
  }
  // The depth split's candidates only (B in place, no epilogue, a team) pay for its blocking.
  const bool b_in_place = !tb && m <= kBInPlaceMaxRows;
  const bool has_epilogue = !epilogue.bias.empty() || epilogue.activation != Activation::kNone;
  if (b_in_place && !has_epilogue && worth_a_team(m * n * k)) {
    const size_t kc = detail::choose_blocking(m, n, k, kernels.mr, kernels.nr, sizeof(T)).kc;
    if (detail::splits_depth(b_in_place, has_epilogue, m, n, k, kc, sizeof(T),
                             size_t(omp_get_max_threads()))) {
      return detail::gemm_split_depth(transpose_a, alpha, a, b, beta, c, mask, kc, kernels.nr);
    }
  }
  run_gemm<T>(ta, tb, alpha, a, b, beta, c, epilogue, mask, nullptr);
}

template void gemm<float>(Transpose, Transpose, float, MatrixView<const float>,
                          MatrixView<const float>, float, MatrixView<float>,
                          const GemmEpilogue<float>&, const GemmPrologue<float>&);
template void gemm<double>(Transpose, Transpose, double, MatrixView<const double>,
                           MatrixView<const double>, double, MatrixView<double>,
                           const GemmEpilogue<double>&, const GemmPrologue<double>&);

}  // namespace simdgrad
