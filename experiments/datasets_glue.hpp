// What the experiments need to know about data sets on this machine.
#pragma once

#include <string>
#include <vector>

namespace gt::experiments {

/// True when the datasets module can load `name` ("mnist", "fashion-mnist", "cifar10", ..., "text": the
/// Brown and SpamAssassin corpora) from data_dir;
/// false for names it has no loader for (svhn).
bool dataset_available(const std::string& name, const std::string& data_dir);
/// "" for a data set gramtape can read; otherwise why not, naming the files found under data_dir
/// ("'svhn': not supported yet ...; found <dir>/svhn/train_32x32.mat, ...").
std::string unsupported_dataset(const std::string& name, const std::string& data_dir);
/// The real data sets found under data_dir.
std::vector<std::string> available_datasets(const std::string& data_dir);

}  // namespace gt::experiments
