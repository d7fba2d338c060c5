// Fine-tuning helpers as the reference BERT code uses them: global-norm gradient clipping and the
// linear warmup + linear decay learning-rate schedule.
#pragma once

#include <vector>

#include "nn/parameter.hpp"

namespace gt::nn {

/// torch.nn.utils.clip_grad_norm_ (norm 2): total = ‖all gradients‖₂ (accumulated in double);
/// coef = max_norm/(total + 1e-6), and every gradient is scaled by coef when coef < 1, i.e. when
/// total > max_norm − 1e-6 (a total equal to max_norm is scaled by ≈ 1 − 1e-6/max_norm, as torch does).
/// Returns total (before clipping). A non-finite total leaves the gradients unchanged (torch would scale
/// them by NaN); ValueError when max_norm is negative or not finite.
template <class T>
double clip_grad_norm(const std::vector<Parameter<T>*>& params, double max_norm);

/// get_linear_schedule_with_warmup's factor of the base learning rate at `step` (0-based, the number of
/// scheduler steps taken, so the first optimizer step runs with factor 0 when warmup_steps > 0):
/// step/max(1, warmup) while step < warmup, then max(0, (total − step)/max(1, total − warmup)).
/// ValueError when an argument is negative.
double linear_warmup_decay(long step, long warmup_steps, long total_steps);

}  // namespace gt::nn
