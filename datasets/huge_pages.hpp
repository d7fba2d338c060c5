#pragma once
// Storage for data sets that training reads in random row order.
//
// A batch gathers 64 random rows of a 188 MB array (MNIST in float32). With 4 KiB pages nearly every
// row costs a TLB miss, which under a hypervisor's nested paging is expensive: on the benchmark VM the
// gather took a third of an MLP epoch. Backing the array with 2 MiB transparent huge pages removes most
// of those misses (docs/performance.md). The advice is only a hint: where the kernel has transparent
// huge pages off ("never") or none are free, the storage is ordinary and everything works the same.
#include <cstddef>

#include "autodiff/tensor.hpp"

namespace gt::data {

// Arrays smaller than this keep ordinary pages (a batch buffer, a small synthetic set).
inline constexpr std::size_t kHugePageMinBytes = std::size_t(4) << 20;

// Asks the kernel to back the 2 MiB-aligned interior of [p, p + bytes) with huge pages. Call it before
// the memory is first written: pages already faulted in stay small until the kernel collapses them.
// Returns true if the advice was given and accepted (false below kHugePageMinBytes or if refused).
bool advise_huge_pages(void* p, std::size_t bytes);

// An uninitialised tensor of this shape, advised as above when it is at least kHugePageMinBytes.
template <class T>
Tensor<T> sample_storage(const Shape& shape);

}  // namespace gt::data
