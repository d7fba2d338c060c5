#pragma once
// Splitting a loop over independent items (the images of a batch) across gramtape's threads.
//
// gramtape's thread count is gt::set_num_threads's. The GEMM wrapper splits large products into blocks
// of C (OpenBLAS runs single-threaded, autodiff/gemm.cpp), and kernels whose items are independent (the
// direct convolution's images) split them, both through parallel_parts: part 0 runs on the calling thread, the others on helper threads that persist across
// calls and sleep on a condition variable between them. One call at a time (calls from several
// threads at once are serialised). The split is fixed by the count, so results are deterministic for
// a given thread count.
#include <cstddef>
#include <functional>
#include <type_traits>

namespace gt {

/// A non-owning reference to a callable `void(std::size_t part)` that outlives the call it is passed
/// to; unlike std::function it never allocates, whatever the lambda captures.
class PartFn {
   public:
    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, PartFn>>>
    PartFn(const F& f) : obj_(&f), call_([](const void* o, std::size_t p) { (*static_cast<const F*>(o))(p); }) {}
    void operator()(std::size_t part) const { call_(obj_, part); }

   private:
    const void* obj_;
    void (*call_)(const void*, std::size_t);
};

/// The number of parts parallel_parts will use for `items` items: min(items, gt::num_threads()), ≥ 1.
std::size_t parallel_width(std::size_t items);

/// Calls fn(part) for part = 0 … parts − 1, concurrently, and returns when all have finished.
/// fn must not throw.
void parallel_parts(std::size_t parts, PartFn fn);

/// [begin, end) of part p when n items are split into `parts` contiguous, nearly equal ranges.
inline void part_range(std::size_t n, std::size_t parts, std::size_t p, std::size_t& begin, std::size_t& end) {
    begin = n * p / parts;
    end = n * (p + 1) / parts;
}

/// Splits n items into parallel_width(n) contiguous parts and calls fn(begin, end) for each, concurrently.
template <class Fn>
void parallel_ranges(std::size_t n, Fn&& fn) {
    const std::size_t parts = parallel_width(n);
    parallel_parts(parts, [&](std::size_t p) {
        std::size_t begin, end;
        part_range(n, parts, p, begin, end);
        fn(begin, end);
    });
}

}  // namespace gt
