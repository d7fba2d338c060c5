#include "autodiff/tape.hpp"

#include <cmath>

#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xreducer.hpp>

namespace gt {

// ---- Var ------------------------------------------------------------------------------------

template <class T>
const Tensor<T>& Var<T>::value() const {
    if (!valid()) throw Error("Var::value: this Var is empty (default-constructed)");
    return tape->value(*this);
}
template <class T>
const Tensor<T>& Var<T>::grad() const {
    if (!valid()) throw Error("Var::grad: this Var is empty (default-constructed)");
    return tape->grad(*this);
}
template <class T>
Shape Var<T>::shape() const {
    return shape_of(value());
}
template <class T>
std::size_t Var<T>::dim() const {
    return value().dimension();
}
template <class T>
T Var<T>::item() const {
    const auto& v = value();
    if (v.size() != 1)
        throw ShapeError("item: expected a one-element tensor, got " + shape_str(shape_of(v)));
    return v.data()[0];
}

// ---- leaves ---------------------------------------------------------------------------------

template <class T>
Var<T> Tape<T>::make_leaf(bool requires_grad) {
    if (size_ == nodes_.size()) nodes_.emplace_back();
    Node<T>& n = nodes_[size_];
    n.op = "input";
    n.name.clear();  // keeps its capacity, like every buffer of a kept node
    n.value_ext = nullptr;
    n.grad_ext = nullptr;
    n.parents.clear();
    n.backward = nullptr;
    n.hooks.clear();
    n.requires_grad = requires_grad;
    n.grad_pass = 0;
    n.grad_in_ext = false;
    return Var<T>{this, static_cast<int>(size_++)};
}

template <class T>
Var<T> Tape<T>::input(const Tensor<T>& x, bool requires_grad, std::string name) {
    Var<T> v = make_leaf(requires_grad);
    if (!name.empty()) nodes_[v.index].name = std::move(name);
    Tensor<T>& val = nodes_[v.index].value;
    val.resize(x.shape());
    std::copy(x.data(), x.data() + x.size(), val.data());
    return v;
}

template <class T>
Var<T> Tape<T>::input(Tensor<T>&& x, bool requires_grad, std::string name) {
    Var<T> v = make_leaf(requires_grad);
    if (!name.empty()) nodes_[v.index].name = std::move(name);
    nodes_[v.index].value = std::move(x);
    return v;
}

template <class T>
Var<T> Tape<T>::parameter(const Tensor<T>& value, Tensor<T>& grad, std::string name) {
    Var<T> v = parameter(value, grad, static_cast<const char*>(nullptr));
    nodes_[v.index].name = std::move(name);
    return v;
}

template <class T>
Var<T> Tape<T>::parameter(const Tensor<T>& value, Tensor<T>& grad, const char* name) {
    Var<T> v = make_leaf(true);
    Node<T>& n = nodes_[v.index];
    n.op = "parameter";
    if (name) n.name.assign(name);
    n.value_ext = &value;
    n.grad_ext = &grad;
    return v;
}

// ---- op-author interface --------------------------------------------------------------------

template <class T>
void Tape<T>::check_var(Var<T> v, const char* op) const {
    if (v.tape != this)
        throw Error(std::string(op) + ": the input Var belongs to " +
                    (v.tape ? "another tape" : "no tape (default-constructed)"));
    if (v.index < 0 || static_cast<std::size_t>(v.index) >= size_)
        throw Error(std::string(op) + ": the input Var (node " + std::to_string(v.index) +
                    ") is stale: the tape holds " + std::to_string(size_) + " nodes (was it reset?)");
}

template <class T>
const Node<T>& Tape<T>::node_checked(Var<T> v, const char* what) const {
    check_var(v, what);
    return nodes_[v.index];
}

template <class T>
Var<T> Tape<T>::push(const char* op, const Shape& shape, std::initializer_list<Var<T>> parents) {
    return push_impl(op, shape.data(), shape.size(), parents.begin(), parents.size());
}

template <class T>
Var<T> Tape<T>::push(const char* op, const Shape& shape, const std::vector<Var<T>>& parents) {
    return push_impl(op, shape.data(), shape.size(), parents.data(), parents.size());
}

template <class T>
Var<T> Tape<T>::push(const char* op, const TensorShape& shape, std::initializer_list<Var<T>> parents) {
    return push_impl(op, shape.data(), shape.size(), parents.begin(), parents.size());
}

template <class T>
Var<T> Tape<T>::push(const char* op, std::initializer_list<std::size_t> shape, std::initializer_list<Var<T>> parents) {
    return push_impl(op, shape.begin(), shape.size(), parents.begin(), parents.size());
}

template <class T>
Var<T> Tape<T>::push_impl(const char* op, const std::size_t* shape, std::size_t rank, const Var<T>* parents,
                          std::size_t num_parents) {
    bool req = false;
    for (std::size_t k = 0; k < num_parents; ++k) {
        check_var(parents[k], op);
        req = req || nodes_[parents[k].index].requires_grad;
    }
    Var<T> v = make_leaf(grad_enabled_ && req);
    Node<T>& n = nodes_[v.index];
    n.op = op;
    if (n.requires_grad)
        for (std::size_t k = 0; k < num_parents; ++k) n.parents.push_back(parents[k].index);
    // resize keeps the buffer when the shape is unchanged (the common case after reset()).
    if (n.value.dimension() != rank || !std::equal(shape, shape + rank, n.value.shape().begin()))
        n.value.resize(TensorShape(shape, shape + rank));
    return v;
}

template <class T>
void Tape<T>::set_backward(Var<T> v, BackwardFn<T> fn) {
    Node<T>& n = nodes_[v.index];
    if (n.requires_grad) n.backward = std::move(fn);
}

template <class T>
const Tensor<T>& Tape<T>::value(int i) const {
    const Node<T>& n = nodes_[i];
    return n.value_ext ? *n.value_ext : n.value;
}

template <class T>
Tensor<T>& Tape<T>::grad_acc(int i) {
    Node<T>& n = nodes_[i];
    const Tensor<T>& val = value(i);
    if (n.grad_ext && into_parameters_) {
        Tensor<T>& g = *n.grad_ext;
        if (g.shape() != val.shape()) {  // first use: shape the parameter's buffer
            g.resize(val.shape());
            g.fill(T(0));
        }
        n.grad_pass = pass_;
        n.grad_in_ext = true;
        return g;
    }
    if (n.grad_pass != pass_) {
        if (n.grad.shape() != val.shape()) n.grad.resize(val.shape());
        n.grad.fill(T(0));
        n.grad_pass = pass_;
        n.grad_in_ext = false;
    }
    return n.grad;
}

template <class T>
Tensor<T>& Tape<T>::grad_write(int i, bool& fresh) {
    Node<T>& n = nodes_[i];
    fresh = !(n.grad_ext && into_parameters_) && n.grad_pass != pass_;
    if (!fresh) return grad_acc(i);
    const Tensor<T>& val = value(i);
    if (n.grad.shape() != val.shape()) n.grad.resize(val.shape());
    n.grad_pass = pass_;
    n.grad_in_ext = false;
    return n.grad;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
    const std::size_t r = std::max(a.size(), b.size());
    Shape out(r);
    for (std::size_t i = 0; i < r; ++i) {
        std::size_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
        std::size_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
        if (da != db && da != 1 && db != 1)
            throw ShapeError(std::string(op) + ": shapes " + shape_str(a) + " and " + shape_str(b) +
                             " do not broadcast");
        out[i] = da == 1 ? db : da;
    }
    return out;
}

template <class T>
Tensor<T> reduce_to_shape(const Tensor<T>& g, const Shape& target, const char* op) {
    Shape gs = shape_of(g);
    if (gs == target) return g;
    if (broadcast_shapes(gs, target, op) != gs)
        throw ShapeError(std::string(op) + ": gradient of shape " + shape_str(gs) +
                         " cannot be reduced to shape " + shape_str(target));
    // Sum leading extra axes, then the axes where target has size 1.
    const std::size_t lead = gs.size() - target.size();
    std::vector<std::size_t> axes;
    for (std::size_t i = 0; i < gs.size(); ++i)
        if (i < lead || (target[i - lead] == 1 && gs[i] != 1)) axes.push_back(i);
    Tensor<T> s = xt::sum(g, axes, xt::evaluation_strategy::immediate);
    s.reshape(target);
    return s;
}

// ---- backward -------------------------------------------------------------------------------

template <class T>
void Tape<T>::run_backward(Var<T> out, const Tensor<T>& upstream, bool into_parameters) {
    check_var(out, "backward");
    if (!nodes_[out.index].requires_grad)
        throw Error("backward: node " + std::to_string(out.index) + " (" + nodes_[out.index].op +
                    ") does not depend on anything that requires grad");
    if (upstream.shape() != value(out.index).shape())
        throw ShapeError("backward: upstream gradient of shape " + shape_str(shape_of(upstream)) +
                         " does not match output shape " + shape_str(shape_of(value(out.index))));
    ++pass_;
    into_parameters_ = into_parameters;
    {
        Tensor<T>& seed = grad_acc(out.index);
        xt::noalias(seed) += upstream;
    }
    for (int i = out.index; i >= 0; --i) {
        Node<T>& n = nodes_[i];
        if (n.grad_pass != pass_) continue;
        const Tensor<T>& g = (n.grad_in_ext && n.grad_ext) ? *n.grad_ext : n.grad;
        if (check_finite_) {
            for (std::size_t k = 0; k < g.size(); ++k)
                if (!std::isfinite(g.data()[k]))
                    throw ValueError("backward: the gradient of node " + std::to_string(i) + " (op " + n.op +
                                     (n.name.empty() ? "" : ", '" + n.name + "'") + ") is not finite");
        }
        for (auto& h : n.hooks) h(g);
        if (n.backward) n.backward(*this, i);
    }
    into_parameters_ = true;
}

template <class T>
void Tape<T>::backward(Var<T> loss) {
    check_var(loss, "backward");
    const auto& v = value(loss.index);
    if (v.size() != 1)
        throw ShapeError("backward: expected a scalar (one-element) loss, got shape " + shape_str(shape_of(v)) +
                         "; pass an upstream gradient for non-scalar outputs");
    if (ones_.shape() != v.shape()) ones_.resize(v.shape());
    ones_.fill(T(1));
    run_backward(loss, ones_, true);
}

template <class T>
void Tape<T>::backward(Var<T> out, const Tensor<T>& upstream) {
    run_backward(out, upstream, true);
}

template <class T>
std::vector<Tensor<T>> Tape<T>::grad(Var<T> out, const std::vector<Var<T>>& wrt, const Tensor<T>& upstream) {
    for (const auto& w : wrt) check_var(w, "grad");
    run_backward(out, upstream, false);
    std::vector<Tensor<T>> r;
    for (const auto& w : wrt) {
        const Node<T>& n = nodes_[w.index];
        if (n.grad_pass == pass_)
            r.push_back(n.grad);
        else
            r.push_back(xt::zeros<T>(value(w.index).shape()));  // out does not depend on w
    }
    return r;
}

template <class T>
std::vector<Tensor<T>> Tape<T>::grad(Var<T> out, const std::vector<Var<T>>& wrt) {
    check_var(out, "grad");
    const auto& v = value(out.index);
    if (v.size() != 1)
        throw ShapeError("grad: expected a scalar output, got shape " + shape_str(shape_of(v)));
    Tensor<T> one = xt::ones<T>(v.shape());
    return grad(out, wrt, one);
}

// ---- reading --------------------------------------------------------------------------------

template <class T>
const Tensor<T>& Tape<T>::value(Var<T> v) const {
    check_var(v, "value");
    return value(v.index);
}

template <class T>
bool Tape<T>::has_grad(Var<T> v) const {
    const Node<T>& n = node_checked(v, "has_grad");
    return pass_ > 0 && n.grad_pass == pass_;
}

template <class T>
const Tensor<T>& Tape<T>::grad(Var<T> v) const {
    const Node<T>& n = node_checked(v, "grad");
    if (pass_ == 0 || n.grad_pass != pass_)
        throw Error("grad: node " + std::to_string(v.index) + " (op " + n.op +
                    (n.name.empty() ? "" : ", '" + n.name + "'") +
                    ") has no gradient: run backward first, and check that the output depends on it "
                    "and that it requires grad");
    return (n.grad_in_ext && n.grad_ext) ? *n.grad_ext : n.grad;
}

template <class T>
void Tape<T>::add_hook(Var<T> v, GradHook<T> hook) {
    check_var(v, "add_hook");
    nodes_[v.index].hooks.push_back(std::move(hook));
}

template <class T>
void Tape<T>::set_name(Var<T> v, std::string name) {
    check_var(v, "set_name");
    nodes_[v.index].name = std::move(name);
}

template <class T>
void Tape<T>::reset() {
    size_ = 0;
    ++pass_;  // invalidates every gradient of the forgotten nodes
}

template <class T>
void Tape<T>::assert_finite() const {
    for (std::size_t i = 0; i < size_; ++i) {
        const Tensor<T>& v = value(static_cast<int>(i));
        for (std::size_t k = 0; k < v.size(); ++k)
            if (!std::isfinite(v.data()[k]))
                throw ValueError("non-finite value in node " + std::to_string(i) + " (op " + nodes_[i].op +
                                 (nodes_[i].name.empty() ? "" : ", '" + nodes_[i].name + "'") + ")");
    }
}

template <class T>
Tape<T>& same_tape(Var<T> a, Var<T> b, const char* op) {
    if (!a.tape || a.tape != b.tape)
        throw Error(std::string(op) + ": both inputs must live on the same tape");
    a.tape->check_var(a, op);
    a.tape->check_var(b, op);
    return *a.tape;
}

template struct Var<float>;
template struct Var<double>;
template class Tape<float>;
template class Tape<double>;
template Tensor<float> reduce_to_shape(const Tensor<float>&, const Shape&, const char*);
template Tensor<double> reduce_to_shape(const Tensor<double>&, const Shape&, const char*);
template Tape<float>& same_tape(Var<float>, Var<float>, const char*);
template Tape<double>& same_tape(Var<double>, Var<double>, const char*);

}  // namespace gt
