// cudagrad gradcam: the Grad-CAM heat map of one image over the image, as
// seed 003 shows it (examples/gradcam.h), written as a PNG.
#include <algorithm>
#include <cstdio>

#include "engine/atomic_write.h"
#include "engine/error.h"
#include "examples/checkpoint.h"
#include "examples/commands.h"
#include "examples/device_choice.h"
#include "examples/gradcam.h"
#include "examples/inference.h"
#include "examples/run_data.h"
#include "report/image.h"

namespace cudagrad {
namespace cli {

int gradcam_command(const Args& args) {
  const Flags flags = parse_flags(
      args, {"--checkpoint", "--image", "--out", "--layer", "--class", "--device", "--threads"});
  CG_CHECK(flags.count("--checkpoint"), "gradcam needs --checkpoint FILE (or a run folder)");
  CG_CHECK(flags.count("--image"), "gradcam needs --image IMG");
  CG_CHECK(flags.count("--out"), "gradcam needs --out OUT.png");
  files::resolve_write_target(flags.at("--out"));  // a FIFO or a device fails before the work
  set_cpu_threads(int_flag(flags, "--threads", 0, 0, 4096));
  const Device device = select_device(string_flag(flags, "--device", "auto"), /*quiet=*/true);

  TrainedModel trained = load_trained_model(flags.at("--checkpoint"));
  trained.model->to_device(device);
  const std::vector<std::string>& classes = trained.class_names;
  int target = -1;
  if (flags.count("--class")) {
    const auto it = std::find(classes.begin(), classes.end(), flags.at("--class"));
    CG_CHECK(it != classes.end(),
             "--class " << flags.at("--class") << ": the model's classes are " << join(classes));
    target = static_cast<int>(it - classes.begin());
  }
  const std::string layer =
      string_flag(flags, "--layer", default_gradcam_layer(*trained.model, trained.config.input));
  const std::string image = flags.at("--image");
  const Tensor x = load_images({image}, trained.config.input,
                               normalization_named(trained.config.normalization), device);
  const GradcamResult r = gradcam(*trained.model, x, layer, target);
  report::write_png(flags.at("--out"), gradcam_overlay_image(image, r));

  const int predicted = argmax(r.probabilities.data(), static_cast<int>(classes.size()));
  std::printf("%s: predicted %s (%.1f%%); Grad-CAM of %s at layer '%s' (%dx%d) -> %s\n",
              image.c_str(), classes[predicted].c_str(), 100 * r.probabilities[predicted],
              classes[r.target].c_str(), r.layer.c_str(), r.height, r.width,
              flags.at("--out").c_str());
  return 0;
}

}  // namespace cli
}  // namespace cudagrad
