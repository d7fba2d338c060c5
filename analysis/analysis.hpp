// gramtape analysis: the paper's quantities read off the tape (Feature Learning Equation, Gram shift
// vs Virtual Covariance Shift, AGOP, virtual trajectory) and computed from features (Target
// Linearity, surrogate, PCA, Neural Collapse, staircase, streaming layer statistics). Include this one
// header.
#pragma once

#include "analysis/agop.hpp"
#include "analysis/covariance_tracking.hpp"
#include "analysis/feature_learning.hpp"
#include "analysis/gram_shift.hpp"
#include "analysis/matrix.hpp"
#include "analysis/neural_collapse.hpp"
#include "analysis/pca.hpp"
#include "analysis/staircase.hpp"
#include "analysis/streaming.hpp"
#include "analysis/surrogate.hpp"
#include "analysis/target_linearity.hpp"
#include "analysis/virtual_trajectory.hpp"
