// The subcommands of the `cudagrad` program, one function each.
#pragma once
#include "examples/flags.h"

namespace cudagrad {
namespace cli {

int bench_layers(const Flags& flags);

}  // namespace cli
}  // namespace cudagrad
