// gramtape nn: parameters, layers, the paper's models, a BERT-style encoder and its heads, losses,
// optimizers (with Gram whitening), schedules, the training loop and checkpoints. Include this one header.
#pragma once

#include "nn/activation.hpp"
#include "nn/adam.hpp"
#include "nn/cnn.hpp"
#include "nn/conv.hpp"
#include "nn/dnn.hpp"
#include "nn/evaluate.hpp"
#include "nn/gram_whiten.hpp"
#include "nn/init.hpp"
#include "nn/linear.hpp"
#include "nn/losses.hpp"
#include "nn/optimizer.hpp"
#include "nn/parameter.hpp"
#include "nn/polar.hpp"
#include "nn/schedule.hpp"
#include "nn/sgd.hpp"
#include "nn/state.hpp"
#include "nn/staircase.hpp"
#include "nn/training_loop.hpp"
#include "nn/transformer.hpp"
#include "nn/vae.hpp"
