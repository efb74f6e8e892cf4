// The whole public API of simdgrad: the numerics core (matrices, SIMD kernels, GEMM, the IDX
// reader, targets, threads, build report, the FMA peak and the roofline) and the reverse-mode
// tape (ops, gradcheck, layers, initializers, optimizers). docs/api.md lists every name with a
// line of explanation.
#pragma once

#include "simdgrad/aligned_memory.h"
#include "simdgrad/build_info.h"
#include "simdgrad/cache_sizes.h"
#include "simdgrad/elementwise.h"
#include "simdgrad/fma_peak.h"
#include "simdgrad/gemm.h"
#include "simdgrad/idx_reader.h"
#include "simdgrad/index_range.h"
#include "simdgrad/matrix.h"
#include "simdgrad/optimizer_updates.h"
#include "simdgrad/reductions.h"
#include "simdgrad/roofline.h"
#include "simdgrad/targets.h"
#include "simdgrad/threading.h"
#include "simdgrad/version.h"

#include "simdgrad/autograd/arena.h"
#include "simdgrad/autograd/gradcheck.h"
#include "simdgrad/autograd/initializers.h"
#include "simdgrad/autograd/layers.h"
#include "simdgrad/autograd/ops.h"
#include "simdgrad/autograd/optimizers.h"
#include "simdgrad/autograd/parameter.h"
#include "simdgrad/autograd/random.h"
#include "simdgrad/autograd/schedules.h"
#include "simdgrad/autograd/shared_gradient_memory.h"
#include "simdgrad/autograd/tape.h"
