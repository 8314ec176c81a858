// What the fuzz targets share: a check that aborts (so libFuzzer reports the
// input) when a parser accepted bytes but returned something inconsistent.
// A cudagrad::Error is the expected outcome for bad bytes and is not a
// finding; a crash, a sanitizer report, a hang or a failed FUZZ_CHECK is.
#pragma once
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                          \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                               \
    }                                                                             \
  } while (0)
