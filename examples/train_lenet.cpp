// Training LeNet with the cudagrad library, as a program of your own would:
// generate a small dataset, describe the run in a TrainConfig, train, and
// load the best model back. `cudagrad train` does the same, with flags.
//
//   train_lenet [FOLDER] [MAX_STEPS]     (MAX_STEPS 0: two whole epochs)
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "data/sample_data.h"
#include "base/error.h"
#include "train/checkpoint.h"
#include "train/run_folder.h"
#include "train/trainer.h"

using namespace cudagrad;

int main(int argc, char** argv) try {
  const std::string folder = std::filesystem::absolute(argc > 1 ? argv[1] : "lenet-example").string();
  const int max_steps = argc > 2 ? std::atoi(argv[2]) : 0;

  // 1. Data: 70 drawn skin-lesion images in the HAM10000 layout.
  const std::string images = folder + "/images";
  if (!std::filesystem::exists(images + "/HAM10000_metadata.csv"))
    data::write_sample_dataset(images, 70, /*seed=*/1);

  // 2. The run: every setting has a default; these are the ones that matter here.
  train::TrainConfig config;
  config.data = images;
  config.model = train::ModelKind::lenet;  // takes 224x224 images
  config.optimizer = train::OptimizerKind::adam;
  config.lr = 1e-4f;
  config.batch = 8;
  config.epochs = 2;
  config.max_steps = max_steps;
  config.augment = train::AugmentPreset::flip_rotate;
  config.cache_dir = folder + "/cache";
  config.out = folder + "/run";
  train::validate(config);  // a bad setting is an Error naming its flag

  // 3. Train. The lock keeps other processes out of the run folder.
  {
    const train::RunLock lock(config.out);
    train::claim_run_folder(config.out, train::config_json(config), /*overwrite=*/true);
    train::run_training(config, /*resume=*/nullptr);
  }

  // 4. The best weights come back with their config and class names.
  const train::TrainedModel best = train::load_trained_model(config.out);
  std::printf("loaded %s: %s, classes %s\n", best.path.c_str(), best.model->kind().c_str(),
              train::join(best.class_names).c_str());
  return 0;
} catch (const Error& e) {
  std::fprintf(stderr, "train_lenet: %s\n", e.what());
  return 1;
}
