// Checkpoints: all parameters, the optimizer's state and an opaque user blob in one binary file.
//
// Layout (little-endian):
//   magic "GTCKPT\r\n" (8 bytes) | u32 format version | u32 dtype size (4 float, 8 double)
//   | u32 optimizer-kind length + bytes ("" without optimizer) | u64 optimizer steps
//   | u64 parameter count | u64 state count | per tensor: u32 name length + bytes, u32 rank, u64 dims…
//   | u64 blob length | payload: every tensor's data in order, then the blob | u64 FNV-1a of all bytes before.
// Tensors are the parameters (in the model's order) followed by the optimizer's state buffers.
// Writes go to "<path>.tmp", are fsynced and renamed into place (then the folder is synced), so neither
// a crash nor a power loss leaves a half-written file under the final name.
#pragma once

#include <string>
#include <vector>

#include "nn/optimizer.hpp"
#include "nn/parameter.hpp"

namespace gt::nn {

inline constexpr std::uint32_t kCheckpointVersion = 1;

/// Throws IoError naming the file if it cannot be written.
template <class T>
void save_checkpoint(const std::string& path, const std::vector<Parameter<T>*>& params, Optimizer<T>* opt,
                     const std::string& user_blob = "");

/// Restores parameters (and, if opt is given, its kind-matched state and step count); returns the blob.
/// Nothing is modified unless the whole file is valid. IoError naming the file and what differs when:
/// the magic, version, dtype or checksum is wrong, the file is truncated, or the parameter/state names
/// or shapes differ from the model's (another model's checkpoint).
template <class T>
std::string load_checkpoint(const std::string& path, const std::vector<Parameter<T>*>& params, Optimizer<T>* opt);

/// 64-bit FNV-1a hash of bytes (the checkpoint checksum).
std::uint64_t fnv1a64(const void* data, std::size_t n, std::uint64_t h = 0xcbf29ce484222325ULL);

}  // namespace gt::nn
