#include "autodiff/parallel.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "autodiff/gemm.hpp"

namespace gt {

namespace {

// Helper threads, created on first use and kept for the life of the process (the pool is never
// destroyed, so no thread is joined while static destructors run).
class Pool {
   public:
    void run(std::size_t parts, const PartFn& fn) {
        std::lock_guard<std::mutex> one_call(call_);
        grow(parts - 1);
        {
            std::lock_guard<std::mutex> lock(m_);
            fn_ = &fn;
            active_ = parts - 1;
            pending_ = parts - 1;
            ++generation_;
        }
        wake_.notify_all();
        fn(0);
        std::unique_lock<std::mutex> lock(m_);
        done_.wait(lock, [&] { return pending_ == 0; });
        fn_ = nullptr;
    }

   private:
    void grow(std::size_t helpers) {
        while (threads_.size() < helpers) {
            const std::size_t index = threads_.size() + 1;  // part handled by this helper
            threads_.emplace_back([this, index] { loop(index); });
            threads_.back().detach();
        }
    }

    void loop(std::size_t part) {
        std::size_t seen = 0;
        for (;;) {
            const PartFn* fn = nullptr;
            {
                std::unique_lock<std::mutex> lock(m_);
                wake_.wait(lock, [&] { return generation_ != seen; });
                seen = generation_;
                if (part > active_) continue;  // not needed in this call
                fn = fn_;
            }
            (*fn)(part);
            std::lock_guard<std::mutex> lock(m_);
            if (--pending_ == 0) done_.notify_one();
        }
    }

    std::mutex call_, m_;
    std::condition_variable wake_, done_;
    std::vector<std::thread> threads_;
    const PartFn* fn_ = nullptr;
    std::size_t active_ = 0, pending_ = 0, generation_ = 0;
};

Pool& pool() {
    static Pool* p = new Pool;  // intentionally never destroyed (see above)
    return *p;
}

}  // namespace

std::size_t parallel_width(std::size_t items) {
    const std::size_t threads = std::size_t(std::max(1, num_threads()));
    return std::max<std::size_t>(1, std::min(items, threads));
}

void parallel_parts(std::size_t parts, PartFn fn) {
    if (parts <= 1) {
        fn(0);
        return;
    }
    pool().run(parts, fn);
}

}  // namespace gt
