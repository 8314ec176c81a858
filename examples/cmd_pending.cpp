#include "engine/error.h"
#include "examples/commands.h"
namespace cudagrad {
namespace cli {
int evaluate_command(const Args&) { CG_FAIL("evaluate: not yet"); }
int gradcam_command(const Args&) { CG_FAIL("gradcam: not yet"); }
int report_command(const Args&) { CG_FAIL("report: not yet"); }
}  // namespace cli
}  // namespace cudagrad
