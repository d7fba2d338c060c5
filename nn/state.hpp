// A resumable training state on disk: every parameter and optimizer buffer as a .npy file (PyTorch
// state_dict names), and manifest.json listing each file with its SHA-256, size and shape, the
// optimizer's kind and step count, and the caller's `extra` (epoch, loader position, ...).
//
// Layout of <dir>/<tag>/: manifest.json and two slots a/ and b/. A save writes every file into the
// slot the manifest does not name, then replaces manifest.json atomically (the commit point), then
// empties the old slot; a process killed at any moment leaves the previous state or the new one,
// complete. A load verifies everything before it changes the model: the manifest's form, every file
// listed (present, size, hash, shape and dtype as the model and optimizer expect), no file missing
// and no extra file in the slot; any difference throws IoError naming the file and what differs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/optimizer.hpp"
#include "nn/parameter.hpp"

namespace gt::nn {

/// Saves the state `tag` under `dir` (see above). `opt` may be null (weights only).
template <class T>
void save_state(const std::filesystem::path& dir, const std::string& tag, const std::vector<Parameter<T>*>& params,
                Optimizer<T>* opt, const nlohmann::json& extra);

/// Restores the state `tag` saved by save_state and returns its `extra`; null json when `dir`/`tag`
/// holds no state at all. With `opt` null the optimizer's files are verified but not loaded.
template <class T>
nlohmann::json load_state(const std::filesystem::path& dir, const std::string& tag,
                          const std::vector<Parameter<T>*>& params, Optimizer<T>* opt);

/// The manifest's file name and format tag.
inline const char* kManifestName = "manifest.json";
inline const char* kStateFormat = "gramtape-state/1";

}  // namespace gt::nn
