// Tape<T>: a flat, reverse-mode autodiff tape (docs/design.md §2).
//
// Nodes are appended in creation order, which is a valid topological order, so backward is one
// reverse loop. After one backward pass the gradient of *every* node that needs one is readable:
// weights, hidden features, pre-activations and inputs alike (tape.grad(v)).
//
// Parameters live outside the tape and enter it as leaves that reference their storage; their
// gradients accumulate into the parameter's own gradient buffer until the owner zeroes it.
// Gradients of all other nodes are reset by each backward pass, so calling it twice is safe.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <initializer_list>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "autodiff/tensor.hpp"

namespace gt {

template <class T>
class Tape;

/// A cheap handle to one node of one tape.
template <class T>
struct Var {
    Tape<T>* tape = nullptr;
    int index = -1;

    bool valid() const { return tape != nullptr && index >= 0; }
    const Tensor<T>& value() const;
    /// ∂(seed)/∂(this node) from the last backward pass; throws if no gradient reached it.
    const Tensor<T>& grad() const;
    Shape shape() const;
    std::size_t dim() const;
    /// The value of a one-element node.
    T item() const;
};

/// A node's backward function: any callable `void(Tape<T>& tape, int self)`, like std::function but
/// with room for captures up to kInline bytes inside the node, so recording a node does not allocate
/// (std::function keeps only 16 bytes in place). Larger or throwing-move callables go to the heap.
template <class T>
class BackwardFn {
   public:
    static constexpr std::size_t kInline = 160;

    BackwardFn() noexcept = default;
    BackwardFn(std::nullptr_t) noexcept {}
    template <class F, class D = std::decay_t<F>,
              class = std::enable_if_t<!std::is_same_v<D, BackwardFn> && std::is_invocable_v<D&, Tape<T>&, int>>>
    BackwardFn(F&& f) {
        if constexpr (fits<D>) {
            ::new (static_cast<void*>(buf_)) D(std::forward<F>(f));
            ops_ = &inline_ops<D>;
        } else {
            *reinterpret_cast<D**>(buf_) = new D(std::forward<F>(f));
            ops_ = &heap_ops<D>;
        }
    }
    BackwardFn(const BackwardFn& o) : ops_(o.ops_) {
        if (ops_) ops_->copy(o.buf_, buf_);
    }
    BackwardFn(BackwardFn&& o) noexcept : ops_(o.ops_) {
        if (ops_) ops_->move(o.buf_, buf_);
        o.ops_ = nullptr;
    }
    BackwardFn& operator=(const BackwardFn& o) {
        if (this != &o) {
            BackwardFn tmp(o);
            *this = std::move(tmp);
        }
        return *this;
    }
    BackwardFn& operator=(BackwardFn&& o) noexcept {
        if (this != &o) {
            reset();
            ops_ = o.ops_;
            if (ops_) ops_->move(o.buf_, buf_);
            o.ops_ = nullptr;
        }
        return *this;
    }
    BackwardFn& operator=(std::nullptr_t) noexcept {
        reset();
        return *this;
    }
    ~BackwardFn() { reset(); }

    explicit operator bool() const noexcept { return ops_ != nullptr; }
    void operator()(Tape<T>& tape, int self) const {
        if (!ops_) throw std::bad_function_call();
        ops_->call(const_cast<unsigned char*>(buf_), tape, self);
    }

   private:
    struct Ops {
        void (*call)(void* f, Tape<T>& tape, int self);
        void (*copy)(const void* from, void* to);
        void (*move)(void* from, void* to) noexcept;  // leaves `from` destroyed
        void (*destroy)(void* f) noexcept;
    };
    template <class D>
    static constexpr bool fits = sizeof(D) <= kInline && alignof(D) <= alignof(std::max_align_t) &&
                                 std::is_nothrow_move_constructible_v<D>;
    template <class D>
    static constexpr Ops inline_ops = {
        [](void* f, Tape<T>& t, int self) { (*static_cast<D*>(f))(t, self); },
        [](const void* from, void* to) { ::new (to) D(*static_cast<const D*>(from)); },
        [](void* from, void* to) noexcept {
            ::new (to) D(std::move(*static_cast<D*>(from)));
            static_cast<D*>(from)->~D();
        },
        [](void* f) noexcept { static_cast<D*>(f)->~D(); }};
    template <class D>
    static constexpr Ops heap_ops = {
        [](void* f, Tape<T>& t, int self) { (**static_cast<D**>(f))(t, self); },
        [](const void* from, void* to) { *static_cast<D**>(to) = new D(**static_cast<D* const*>(from)); },
        [](void* from, void* to) noexcept { *static_cast<D**>(to) = *static_cast<D**>(from); },
        [](void* f) noexcept { delete *static_cast<D**>(f); }};

    void reset() noexcept {
        if (ops_) ops_->destroy(buf_);
        ops_ = nullptr;
    }

    alignas(std::max_align_t) unsigned char buf_[kInline];
    const Ops* ops_ = nullptr;
};
template <class T>
using GradHook = std::function<void(const Tensor<T>& grad)>;

template <class T>
struct Node {
    const char* op = "";                  // the op that made it ("input", "linear", ...)
    std::string name;                     // optional user label, used in messages
    Tensor<T> value;                      // owned value (unused for parameter leaves)
    const Tensor<T>* value_ext = nullptr; // parameter leaves: the parameter's storage
    Tensor<T> grad;                       // gradient of intermediate nodes
    Tensor<T>* grad_ext = nullptr;        // parameter leaves: gradients accumulate here
    Tensor<T> scratch;                    // op-private buffer (masks, im2col), reused across steps
    std::vector<int> int_scratch;         // op-private integers (class labels), reused across steps
    std::vector<int> parents;             // cleared, not freed, by reset(): no allocation per step
    BackwardFn<T> backward;
    std::vector<GradHook<T>> hooks;
    bool requires_grad = false;
    unsigned grad_pass = 0;               // the gradient is current iff grad_pass == tape's pass
    bool grad_in_ext = false;             // the current gradient lives in *grad_ext
};

template <class T>
class Tape {
   public:
    Tape() = default;
    Tape(const Tape&) = delete;
    Tape& operator=(const Tape&) = delete;

    // ---- leaves -------------------------------------------------------------------------
    /// A leaf holding a copy of x. With requires_grad, ∂L/∂x is readable after backward.
    Var<T> input(const Tensor<T>& x, bool requires_grad = false, std::string name = "");
    Var<T> input(Tensor<T>&& x, bool requires_grad = false, std::string name = "");
    /// A leaf that references a parameter's value and accumulates into its gradient buffer.
    /// Both must outlive the tape's use; do not change `value` between forward and backward.
    Var<T> parameter(const Tensor<T>& value, Tensor<T>& grad, std::string name = "");
    /// The same; the name is copied into the node's kept string (no allocation once it fits).
    Var<T> parameter(const Tensor<T>& value, Tensor<T>& grad, const char* name);

    // ---- backward -----------------------------------------------------------------------
    /// Seeds with 1 a one-element output (error otherwise) and runs the reverse loop.
    void backward(Var<T> loss);
    /// Seeds with an explicit upstream gradient of the output's shape.
    void backward(Var<T> out, const Tensor<T>& upstream);
    /// Like torch.autograd.grad: returns ∂out/∂wrt without touching parameter gradients.
    std::vector<Tensor<T>> grad(Var<T> out, const std::vector<Var<T>>& wrt);
    std::vector<Tensor<T>> grad(Var<T> out, const std::vector<Var<T>>& wrt, const Tensor<T>& upstream);

    // ---- reading ------------------------------------------------------------------------
    const Tensor<T>& value(Var<T> v) const;
    const Tensor<T>& grad(Var<T> v) const;
    bool has_grad(Var<T> v) const;
    bool requires_grad(Var<T> v) const { return node_checked(v, "requires_grad").requires_grad; }
    /// Called with the node's gradient once it is complete, during backward.
    void add_hook(Var<T> v, GradHook<T> hook);
    void set_name(Var<T> v, std::string name);
    const std::string& name(Var<T> v) const { return node_checked(v, "name").name; }
    const char* op(Var<T> v) const { return node_checked(v, "op").op; }
    std::size_t size() const { return size_; }

    /// Forget all nodes but keep their buffers, so the next step allocates nothing new.
    void reset();

    bool grad_enabled() const { return grad_enabled_; }
    void set_grad_enabled(bool on) { grad_enabled_ = on; }

    /// When on, backward throws if a gradient becomes NaN/Inf, naming the node and its op.
    void set_check_finite(bool on) { check_finite_ = on; }
    /// Throws ValueError naming the first node whose value is not finite.
    void assert_finite() const;

    // ---- op-author interface (used by ops, not by models) -------------------------------
    /// Throws unless v is a live node of this tape (names the op).
    void check_var(Var<T> v, const char* op) const;
    /// Appends a node with the given parents and returns it; its value is resized to `shape`
    /// (contents unspecified: the op fills it). Recorded only if grad is enabled and a parent
    /// requires grad. After reset() the node's buffers are reused: nothing is allocated when the
    /// shape is that of the node recorded at the same position in the previous step. The shape may be
    /// a Shape, a tensor's own shape (`t.value(a).shape()`) or a braced list `{n, m}` (no temporary).
    Var<T> push(const char* op, const Shape& shape, std::initializer_list<Var<T>> parents);
    Var<T> push(const char* op, const Shape& shape, const std::vector<Var<T>>& parents);
    Var<T> push(const char* op, const TensorShape& shape, std::initializer_list<Var<T>> parents);
    Var<T> push(const char* op, std::initializer_list<std::size_t> shape, std::initializer_list<Var<T>> parents);
    Tensor<T>& mutable_value(Var<T> v) { return nodes_[v.index].value; }
    Tensor<T>& scratch(Var<T> v) { return nodes_[v.index].scratch; }
    Tensor<T>& scratch(int i) { return nodes_[i].scratch; }
    /// Op-private integers of a node (e.g. the labels of a loss), kept across reset() like scratch.
    std::vector<int>& int_scratch(Var<T> v) { return nodes_[v.index].int_scratch; }
    const std::vector<int>& int_scratch(int i) const { return nodes_[i].int_scratch; }
    void set_backward(Var<T> v, BackwardFn<T> fn);
    bool needs_grad(int i) const { return nodes_[i].requires_grad; }
    const Tensor<T>& value(int i) const;
    const Tensor<T>& grad_of(int i) const { return nodes_[i].grad; }
    const std::vector<int>& parents(int i) const { return nodes_[i].parents; }
    // A backward writes its parents' gradients in one of two ways (docs/ops.md, "Writing a gradient").
    // Either way the contract holds: after backward, a node's gradient is the sum over its children.
    /// 1. Add into: node i's gradient buffer for this pass, zero-filled on first use; the op adds its
    ///    contribution (+=, GEMM with beta = 1, scatter-add). For contributions that cover part of the
    ///    gradient or arrive in pieces.
    Tensor<T>& grad_acc(int i);
    /// 2. Write or add: for an op whose contribution covers every entry of node i's gradient. When it is
    ///    the first to reach that gradient in this pass, the buffer is shaped but not zero-filled and
    ///    `fresh` is set: write the contribution (=). Otherwise it is grad_acc(i) and `fresh` is false:
    ///    add it (+=). Parameter gradients always accumulate. Element-wise kernels get this through
    ///    elementwise::add_to_grad (autodiff/elementwise.hpp).
    Tensor<T>& grad_write(int i, bool& fresh);

   private:
    const Node<T>& node_checked(Var<T> v, const char* what) const;
    void run_backward(Var<T> out, const Tensor<T>& upstream, bool into_parameters);
    Var<T> make_leaf(bool requires_grad);
    Var<T> push_impl(const char* op, const std::size_t* shape, std::size_t rank, const Var<T>* parents,
                     std::size_t num_parents);

    std::deque<Node<T>> nodes_;  // deque: references stay valid while ops append
    std::size_t size_ = 0;       // live nodes; nodes_[size_..] are kept buffers
    unsigned pass_ = 0;
    bool into_parameters_ = true;
    bool grad_enabled_ = true;
    bool check_finite_ = false;
    Tensor<T> ones_;  // backward(loss)'s seed, kept
};

/// RAII: records no gradients on `tape` while alive (evaluation, metrics).
template <class T>
class NoGradGuard {
   public:
    explicit NoGradGuard(Tape<T>& tape) : tape_(tape), before_(tape.grad_enabled()) { tape.set_grad_enabled(false); }
    ~NoGradGuard() { tape_.set_grad_enabled(before_); }
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;

   private:
    Tape<T>& tape_;
    bool before_;
};

/// Sum g over the axes along which `target` was broadcast (numpy rules). Throws ShapeError naming
/// `op` and both shapes when target does not broadcast to g's shape.
template <class T>
Tensor<T> reduce_to_shape(const Tensor<T>& g, const Shape& target, const char* op);

/// Shape of broadcasting a with b (numpy rules), or ShapeError naming op and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

/// Both vars must live on the same tape; returns it (or throws naming op).
template <class T>
Tape<T>& same_tape(Var<T> a, Var<T> b, const char* op);

/// The tape of a single-input op's Var; throws Error naming `op` if v is empty, stale or foreign.
template <class T>
Tape<T>& tape_of(Var<T> v, const char* op) {
    if (!v.tape) throw Error(std::string(op) + ": the input Var is empty (default-constructed)");
    v.tape->check_var(v, op);
    return *v.tape;
}

extern template class Tape<float>;
extern template class Tape<double>;

}  // namespace gt
