// Compiles vector_kernels-inl.h once per Highway target and exports the table getters.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/vector_kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "lib/vector_kernels-inl.h"
#include "simdgrad/targets.h"

HWY_BEFORE_NAMESPACE();
namespace simdgrad::detail {
namespace HWY_NAMESPACE {

const VectorKernels<float>* VectorKernelsF32() {
  static const VectorKernels<float> table = MakeVectorKernels<float>();
  return &table;
}
const VectorKernels<double>* VectorKernelsF64() {
  static const VectorKernels<double> table = MakeVectorKernels<double>();
  return &table;
}

}  // namespace HWY_NAMESPACE
}  // namespace simdgrad::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdgrad::detail {

HWY_EXPORT(VectorKernelsF32);
HWY_EXPORT(VectorKernelsF64);

const VectorKernels<float>& vector_kernels_f32() {
  apply_environment_target();
  return *HWY_DYNAMIC_DISPATCH(VectorKernelsF32)();
}
const VectorKernels<double>& vector_kernels_f64() {
  apply_environment_target();
  return *HWY_DYNAMIC_DISPATCH(VectorKernelsF64)();
}

}  // namespace simdgrad::detail
#endif
