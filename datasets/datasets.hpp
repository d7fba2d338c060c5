// gt::data — everything the experiments need to get samples; knows nothing of the tape.
//
//   dataset.hpp     Dataset<T>, Split<T>, validate, select, gather_rows
//   registry.hpp    load<T>(name, LoadOptions), dataset_catalog, available
//   idx.hpp         IDX reader (MNIST, Fashion-MNIST), plain or gzipped
//   cifar.hpp       CIFAR-10 / CIFAR-100 binary readers
//   synthetic.hpp   Swiss roll, staircase, modular addition, quadratic
//   loader.hpp      BatchLoader<T>: shuffled, resumable mini-batches
//   labels.hpp      one_hot, randomize_labels
//   subset.hpp      random_subset, random_split
//   normalize.hpp   normalize_channels, min_max_columns
//   file_bytes.hpp  whole-file reads with gzip detection
//   text.hpp        Brown and SpamAssassin text, the vocabulary, the transformer figure's four tasks
#pragma once

#include "datasets/cifar.hpp"
#include "datasets/dataset.hpp"
#include "platform/file_bytes.hpp"
#include "datasets/idx.hpp"
#include "datasets/labels.hpp"
#include "datasets/loader.hpp"
#include "datasets/normalize.hpp"
#include "datasets/registry.hpp"
#include "datasets/subset.hpp"
#include "datasets/synthetic.hpp"
#include "datasets/text.hpp"
