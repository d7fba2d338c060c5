#include "datasets/huge_pages.hpp"

#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace gt::data {

bool advise_huge_pages(void* p, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p == nullptr || bytes < kHugePageMinBytes) return false;
    constexpr std::uintptr_t huge = std::uintptr_t(2) << 20;
    const std::uintptr_t begin = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t first = (begin + huge - 1) & ~(huge - 1);
    const std::uintptr_t last = (begin + bytes) & ~(huge - 1);
    if (last <= first) return false;
    return madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE) == 0;
#else
    (void)p;
    (void)bytes;
    return false;
#endif
}

template <class T>
Tensor<T> sample_storage(const Shape& shape) {
    Tensor<T> t = Tensor<T>::from_shape(shape);  // xtensor leaves arithmetic storage untouched
    advise_huge_pages(t.data(), t.size() * sizeof(T));
    return t;
}

template Tensor<float> sample_storage<float>(const Shape&);
template Tensor<double> sample_storage<double>(const Shape&);

}  // namespace gt::data
