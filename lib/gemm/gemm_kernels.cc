// Compiles gemm_micro_kernel-inl.h once per Highway target and exports the table getters.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/gemm/gemm_kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "lib/gemm/gemm_micro_kernel-inl.h"
#include "simdgrad/targets.h"

HWY_BEFORE_NAMESPACE();
namespace simdgrad::detail {
namespace HWY_NAMESPACE {

const GemmKernels<float>* GemmKernelsF32() {
  static const GemmKernels<float> table = MakeGemmKernels<float>();
  return &table;
}
const GemmKernels<double>* GemmKernelsF64() {
  static const GemmKernels<double> table = MakeGemmKernels<double>();
  return &table;
}

}  // namespace HWY_NAMESPACE
}  // namespace simdgrad::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdgrad::detail {

HWY_EXPORT(GemmKernelsF32);
HWY_EXPORT(GemmKernelsF64);

const GemmKernels<float>& gemm_kernels_f32() {
  apply_environment_target();
  return *HWY_DYNAMIC_DISPATCH(GemmKernelsF32)();
}
const GemmKernels<double>& gemm_kernels_f64() {
  apply_environment_target();
  return *HWY_DYNAMIC_DISPATCH(GemmKernelsF64)();
}

}  // namespace simdgrad::detail
#endif
