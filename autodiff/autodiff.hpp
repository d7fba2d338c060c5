// gramtape autodiff: the reverse-mode tape, the GEMM wrapper and every op. Include this one header.
#pragma once

#include "autodiff/gemm.hpp"
#include "autodiff/gradcheck.hpp"
#include "autodiff/op_registry.hpp"
#include "autodiff/ops_activation.hpp"
#include "autodiff/ops_attention.hpp"
#include "autodiff/ops_conv.hpp"
#include "autodiff/ops_elementwise.hpp"
#include "autodiff/ops_linalg.hpp"
#include "autodiff/ops_loss.hpp"
#include "autodiff/ops_misc.hpp"
#include "autodiff/ops_norm.hpp"
#include "autodiff/ops_reduce.hpp"
#include "autodiff/ops_shape.hpp"
#include "autodiff/random.hpp"
#include "autodiff/tape.hpp"
#include "autodiff/tensor.hpp"
