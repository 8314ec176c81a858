#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "data/class_weights.h"
#include "data/loader.h"
#include "base/files.h"
#include "engine/device.h"
#include "base/error.h"
#include "layers/summary.h"
#include "report/metrics.h"
#include "train/device_choice.h"
#include "train/inference.h"
#include "train/interrupt.h"
#include "train/lr_schedule.h"
#include "train/model_setup.h"
#include "train/progress.h"
#include "train/run_data.h"
#include "train/train_step.h"

namespace cudagrad {
namespace train {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

std::unique_ptr<Optimizer> make_optimizer(const TrainConfig& c, const Module& model) {
  std::vector<Tensor> params = model.parameters();
  CG_CHECK(!params.empty(), "nothing to train: every parameter is frozen");
  if (c.optimizer == OptimizerKind::sgd)
    return std::make_unique<SGD>(params, c.lr, c.momentum, c.weight_decay);
  return std::make_unique<Adam>(params, c.lr, 0.9f, 0.999f, 1e-8f, c.weight_decay,
                                /*decoupled_weight_decay=*/c.optimizer == OptimizerKind::adamw);
}

// Per-class loss weights from the training part's class counts; undefined
// (all ones, the cheaper path) for "ones".
Tensor make_class_weights(const TrainConfig& c, const data::ImageCache& cache,
                          const std::vector<int64_t>& train,
                          const std::vector<std::string>& class_names, Device device) {
  std::vector<int64_t> counts(class_names.size(), 0);
  for (int64_t i : train) ++counts[cache.label(i)];
  const data::ClassWeighting weighting = c.class_weights;
  const std::vector<double> w = data::class_weights(counts, weighting);
  std::printf("%s\n", data::describe_class_weights(class_names, w, weighting).c_str());
  if (weighting == data::ClassWeighting::ones) return Tensor();
  return Tensor::from_vector(std::vector<float>(w.begin(), w.end()),
                             {static_cast<int64_t>(w.size())}, device);
}

const char* kMetricsHeader =
    "epoch,steps,train_loss,train_acc,val_loss,val_acc,val_balanced_acc,lr,seconds,images_per_s,"
    "data_wait\n";

// Everything one run holds while it trains. The loaders read the cache, so
// a Run stays where it was made (it is neither copied nor moved).
struct Run {
  TrainConfig config;
  std::string dir;
  Device device;
  std::vector<std::string> class_names;
  std::shared_ptr<Network> model;
  std::unique_ptr<Optimizer> optimizer;
  Tensor class_weights;
  TrainingState state;
  std::unique_ptr<data::ImageCache> cache;
  std::unique_ptr<data::Loader> train_loader, val_loader;
  bool has_val = false;  // --split-fractions with a val fraction of 0 makes no val part

  Run() = default;
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  std::string path(const char* file) const { return (fs::path(dir) / file).string(); }
};

void print_setup(const Run& run, const data::Split& split) {
  const TrainConfig& c = run.config;
  const ParameterCount count = count_parameters(*run.model);
  std::printf("model: %s, %s parameters (%s trainable), input 3x%dx%d\n", run.model->kind().c_str(),
              with_thousands(count.total).c_str(), with_thousands(count.trainable).c_str(), c.input,
              c.input);
  std::ostringstream parts;
  for (size_t p = 0; p < split.names.size(); ++p)
    parts << (p ? ", " : "") << split.names[p] << " " << split.sizes()[p];
  std::printf("split: %s images (seed %llu)\n", parts.str().c_str(),
              static_cast<unsigned long long>(c.seed));
  std::ostringstream how;
  how << name_of(c.optimizer) << " lr " << c.lr;
  if (c.optimizer == OptimizerKind::sgd) how << " momentum " << c.momentum;
  if (c.weight_decay > 0) how << " weight decay " << c.weight_decay;
  how << ", batch " << c.batch << ", " << c.epochs << " epochs, schedule " << name_of(c.schedule)
      << ", augment " << name_of(c.augment);
  if (c.early_stopping > 0) how << ", early stopping " << c.early_stopping;
  if (c.freeze != Freeze::none) how << ", frozen " << name_of(c.freeze);
  std::printf("training: %s\n", how.str().c_str());
}

// One row of metrics.csv and the matching summary line.
struct EpochResult {
  int64_t epoch = 0, steps = 0;
  double train_loss = 0, train_acc = 0;
  double val_loss = NAN, val_acc = NAN, val_balanced = NAN;
  double lr = 0, seconds = 0, images_per_s = 0, data_wait = 0;
  bool best = false;
};

std::string csv_row(const EpochResult& e) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%lld,%lld,%.6f,%.6f,%.6f,%.6f,%.6f,%.6g,%.3f,%.2f,%.4f\n",
                static_cast<long long>(e.epoch), static_cast<long long>(e.steps), e.train_loss,
                e.train_acc, e.val_loss, e.val_acc, e.val_balanced, e.lr, e.seconds, e.images_per_s,
                e.data_wait);
  return buf;
}

void print_epoch(const EpochResult& e, int epochs) {
  char val[128] = "val -";
  if (!std::isnan(e.val_acc))
    std::snprintf(val, sizeof val, "val loss %.4f acc %5.1f%% bal %5.1f%%", e.val_loss,
                  100 * e.val_acc, 100 * e.val_balanced);
  std::printf("epoch %3lld/%d | train loss %.4f acc %5.1f%% | %s | lr %.3g | %.1f s | %.1f img/s "
              "| data wait %.0f%%%s\n",
              static_cast<long long>(e.epoch), epochs, e.train_loss, 100 * e.train_acc, val, e.lr,
              e.seconds, e.images_per_s, 100 * e.data_wait, e.best ? " | best" : "");
  std::fflush(stdout);
}

// A resumed run must have something left to do. When it has not, the
// message names the limit that ended it, the one flag that trains on.
void require_something_to_continue(const TrainConfig& config, const TrainingState& s) {
  std::string limit;
  if (s.epoch >= config.epochs)
    limit = "--epochs (it finished " + std::to_string(s.epoch) + " epochs; pass --epochs " +
            std::to_string(s.epoch + 1) + " or more)";
  else if (config.max_steps > 0 && s.global_step >= config.max_steps)
    limit = "--max-steps (it ran " + std::to_string(s.global_step) + " steps; pass --max-steps " +
            std::to_string(s.global_step + 1) + " or more)";
  else if (config.early_stopping > 0 && s.best_epoch >= 0 &&
           s.epochs_without_improvement >= config.early_stopping)
    limit = "--early-stopping (no better validation loss for " +
            std::to_string(s.epochs_without_improvement) + " epochs; pass a larger patience)";
  if (!limit.empty())
    throw Error("--resume " + config.out + ": nothing to continue: the run reached its " + limit);
}

// ---- setup -------------------------------------------------------------------------------

// The model, its weights (fresh, pretrained or the checkpoint's) and the
// split: a new run writes splits.csv, a resumed one restores it from the
// checkpoint. Returns the split as read back from splits.csv, so a resumed
// run checks that the dataset still matches it.
data::Split set_up_model_and_split(Run& run, const data::Dataset& dataset,
                                   const TrainingCheckpoint* resume) {
  const TrainConfig& config = run.config;
  run.model = build_model(config, dataset.num_classes(), config.seed);
  if (resume) {
    load_state(*run.model, resume->model, run.path("last.ckpt"));
    run.state = resume->state;
    run.state.finished = false;
    files::write_file_atomically(run.path("splits.csv"), run.state.splits_csv);
  } else {
    if (!config.pretrained.empty()) load_pretrained(*run.model, config.pretrained);
    data::write_splits_csv(run.path("splits.csv"), dataset.samples, make_split(dataset, config));
    run.state.splits_csv = read_text(run.path("splits.csv"));
    run.state.lr = config.lr;
  }
  const data::Split split = data::read_splits_csv(run.path("splits.csv"), dataset.samples);
  data::require_every_class_in(split, "train", dataset.samples, run.class_names);
  if (config.freeze == Freeze::backbone) freeze_backbone(*run.model);
  // Dropout masks continue where the checkpoint left them.
  const std::vector<Dropout*> dropouts = dropout_layers(*run.model);
  for (size_t i = 0; i < dropouts.size() && i < run.state.dropout_counters.size(); ++i)
    dropouts[i]->set_counter(run.state.dropout_counters[i]);
  run.model->to_device(run.device);
  return split;
}

// The image cache, the train and val parts, the class weights and a loader
// for each part.
void set_up_loaders(Run& run, const data::Dataset& dataset, const data::Split& split) {
  const TrainConfig& config = run.config;
  run.cache = std::make_unique<data::ImageCache>(open_image_cache(dataset, config));
  const std::vector<int64_t> train = part_indices(*run.cache, split, "train");
  run.has_val = split.part_index("val") >= 0;
  const std::vector<int64_t> val =
      run.has_val ? part_indices(*run.cache, split, "val") : std::vector<int64_t>();
  run.has_val = !val.empty();
  CG_CHECK(!train.empty(), "the training part of the split is empty");
  run.class_weights = make_class_weights(config, *run.cache, train, run.class_names, run.device);

  data::LoaderOptions train_options;
  train_options.batch_size = config.batch;
  train_options.augment = config.augment != AugmentPreset::none;
  train_options.augmentation = data::augment_preset(name_of(config.augment));
  train_options.normalization = normalization_of(config.normalization);
  train_options.threads = loader_threads();
  train_options.seed = config.seed;
  // BatchNorm cannot normalize a batch of one image at a 1x1 feature map
  // (ResNet or MobileNet at small inputs): leave out such a last batch, a
  // different image each epoch, as PyTorch's drop_last would.
  if (train.size() > 1 && train.size() % config.batch == 1) {
    train_options.drop_last = true;
    std::printf("note: %zu training images in batches of %d leave one over each epoch; it is "
                "skipped (shuffling picks another each time)\n",
                train.size(), config.batch);
  }
  data::LoaderOptions val_options = train_options;
  val_options.drop_last = false;
  val_options.shuffle = false;
  val_options.augment = false;
  run.train_loader = std::make_unique<data::Loader>(*run.cache, train, train_options);
  run.val_loader = std::make_unique<data::Loader>(*run.cache, val, val_options);
}

// Everything before the first step: the dataset, the device, the model and
// split, the loaders and the optimizer (restored from `resume` when given),
// then config.json.
void set_up(Run& run, const TrainingCheckpoint* resume) {
  const TrainConfig& config = run.config;
  // What a killed run may have left: "<file>.tmp.<pid>" beside the outputs.
  files::remove_stale_temporaries(run.dir);
  set_cpu_threads(config.threads);

  const data::Dataset dataset = load_run_dataset(config);
  run.device = select_device(config.device);
  run.class_names = dataset.class_names;
  CG_CHECK(!resume || resume->class_names == run.class_names,
           config.data << " has classes " << join(run.class_names) << " but the checkpoint has "
                       << join(resume->class_names));
  const data::Split split = set_up_model_and_split(run, dataset, resume);
  print_setup(run, split);
  set_up_loaders(run, dataset, split);

  run.optimizer = make_optimizer(config, *run.model);
  if (resume)
    load_optimizer_state(*run.optimizer, resume->optimizer, resume->optimizer_steps,
                         run.path("last.ckpt"));
  files::write_file_atomically(run.path("config.json"), config_json(config));
  if (run.state.metrics_csv.empty()) run.state.metrics_csv = kMetricsHeader;
  if (resume)
    std::printf("resuming %s at epoch %lld, batch %lld (step %lld)\n", run.dir.c_str(),
                static_cast<long long>(run.state.epoch + 1),
                static_cast<long long>(run.state.batch_in_epoch),
                static_cast<long long>(run.state.global_step));
  std::printf("writing %s: config.json, splits.csv, metrics.csv, best.safetensors, last.ckpt\n",
              run.dir.c_str());
  std::fflush(stdout);
}

// ---- one epoch ---------------------------------------------------------------------------

// last.ckpt: the model, the optimizer and where the run is, Dropout's mask
// counters included.
void save_checkpoint(Run& run) {
  run.state.dropout_counters.clear();
  for (Dropout* d : dropout_layers(*run.model)) run.state.dropout_counters.push_back(d->counter());
  save_training_checkpoint(run.path("last.ckpt"), *run.model, *run.optimizer, run.config,
                           run.class_names, run.state);
}

// "; continue with 'cudagrad train --resume DIR'" after an interruption.
[[noreturn]] void stop_interrupted(const Run& run, const std::string& where) {
  throw_interrupted(where + ": saved " + run.path("last.ckpt") +
                    "; continue with 'cudagrad train --resume " + run.dir + "'");
}

struct TrainPass {
  double seconds = 0;         // the epoch's training time, before a resume included
  bool out_of_steps = false;  // --max-steps was reached
};

// The rest of the epoch's training batches, one optimizer step each, with
// the running sums in run.state. A resumed run first skips the batches the
// checkpoint had done (the order depends only on seed and epoch). On
// Ctrl-C: saves last.ckpt after the current step and throws Interrupted.
TrainPass train_pass(Run& run, int64_t epoch) {
  const TrainConfig& config = run.config;
  TrainingState& s = run.state;
  data::Loader& loader = *run.train_loader;
  run.model->train();
  loader.start_epoch(epoch);
  data::Batch batch;
  for (int64_t b = 0; b < s.batch_in_epoch; ++b) loader.next(batch);  // done before a resume

  ProgressLine progress(epoch + 1, config.epochs, loader.batches_per_epoch());
  const Clock::time_point start = Clock::now();
  const double seconds_before = s.seconds;
  TrainPass pass;
  while (loader.next(batch)) {
    const StepResult r = train_step(*run.model, *run.optimizer, run.class_weights, batch,
                                    run.device, config.on_nan == OnNan::skip);
    ++s.batch_in_epoch;
    ++s.global_step;
    if (r.applied) {
      s.loss_sum += r.loss * batch.size;
      s.correct += r.correct;
      s.seen += batch.size;
    } else {
      std::ostringstream where;
      where << "epoch " << epoch + 1 << ", batch " << s.batch_in_epoch << ": " << r.problem;
      CG_CHECK(config.on_nan == OnNan::skip,
               where.str() << "; lower --lr, or pass --on-nan skip to skip such steps");
      if (++s.skipped_steps <= 3) {
        progress.finish();
        std::fprintf(stderr, "warning: skipped %s\n", where.str().c_str());
      }
    }
    const double elapsed = seconds_before + seconds_since(start);
    progress.update(s.batch_in_epoch, s.seen ? s.loss_sum / s.seen : 0, s.seen, elapsed);
    if (InterruptHandler::requested()) {
      progress.finish();
      s.seconds = elapsed;
      s.wait_seconds += loader.epoch_wait_seconds();
      save_checkpoint(run);
      stop_interrupted(run, "at epoch " + std::to_string(epoch + 1) + ", batch " +
                                std::to_string(s.batch_in_epoch));
    }
    if (config.max_steps > 0 && s.global_step >= config.max_steps) {
      pass.out_of_steps = true;
      break;
    }
  }
  progress.finish();
  pass.seconds = seconds_before + seconds_since(start);
  return pass;
}

// The validation part's loss, accuracy and balanced accuracy into `e`
// (left NaN without a val part).
void validation_pass(Run& run, EpochResult& e) {
  if (!run.has_val) return;
  // Validation asks for other block sizes than training (no gradients,
  // another last batch); handing the cached training blocks back first
  // keeps the process's peak at the larger phase instead of their sum.
  // Training refills the cache in its first step of the next epoch.
  release_cached_memory(run.device);
  const Predictions p = predict_loader(*run.model, *run.val_loader, 0, run.device, run.class_weights);
  e.val_loss = p.loss;
  e.val_acc = p.accuracy();
  if (std::isfinite(p.loss))  // a diverged model's probabilities are not a distribution
    e.val_balanced = report::compute_metrics(std::vector<int>(p.labels.begin(), p.labels.end()),
                                             p.probabilities, run.class_names)
                         .balanced_accuracy;
}

// After an epoch: best.safetensors when the validation loss improved, the
// plateau schedule, the summary line, metrics.csv and last.ckpt. Sets
// state.finished when the run is over.
void end_epoch(Run& run, EpochResult& e, bool out_of_steps) {
  const TrainConfig& config = run.config;
  TrainingState& s = run.state;
  const int64_t epoch = e.epoch - 1;
  // Without a validation part every epoch counts as the best so far.
  e.best = !run.has_val || e.val_loss < s.best_val_loss;
  if (e.best) {
    s.best_val_loss = run.has_val ? e.val_loss : NAN;
    s.best_epoch = epoch;
    s.epochs_without_improvement = 0;
    save_model_file(run.path("best.safetensors"), *run.model, config, run.class_names, e.epoch,
                    e.val_loss);
  } else {
    ++s.epochs_without_improvement;
  }
  update_plateau(config, e.val_loss, s);
  print_epoch(e, config.epochs);

  s.metrics_csv += csv_row(e);
  s.epoch = epoch + 1;
  s.batch_in_epoch = 0;
  s.loss_sum = 0;
  s.correct = s.seen = 0;
  s.seconds = s.wait_seconds = 0;
  const bool patience_out = config.early_stopping > 0 && run.has_val &&
                            s.epochs_without_improvement >= config.early_stopping;
  s.finished = s.epoch >= config.epochs || patience_out || out_of_steps;
  files::write_file_atomically(run.path("metrics.csv"), s.metrics_csv);
  save_checkpoint(run);
  if (patience_out)
    std::printf("early stopping: no better validation loss for %d epochs\n", config.early_stopping);
  if (out_of_steps)
    std::printf("stopped after %lld steps (--max-steps)\n", static_cast<long long>(s.global_step));
}

// One epoch: the scheduled learning rate, the training pass, the
// validation pass, then the epoch's files.
void run_epoch(Run& run) {
  TrainingState& s = run.state;
  const int64_t epoch = s.epoch;
  s.lr = scheduled_lr(run.config, epoch, s);
  run.optimizer->set_lr(static_cast<float>(s.lr));
  const TrainPass pass = train_pass(run, epoch);

  EpochResult e;
  e.epoch = epoch + 1;
  e.steps = s.batch_in_epoch;
  e.lr = s.lr;
  e.train_loss = s.seen ? s.loss_sum / s.seen : NAN;
  e.train_acc = s.seen ? static_cast<double>(s.correct) / s.seen : NAN;
  e.images_per_s = pass.seconds > 0 ? s.seen / pass.seconds : 0;
  e.data_wait = pass.seconds > 0
                    ? (s.wait_seconds + run.train_loader->epoch_wait_seconds()) / pass.seconds
                    : 0;
  const Clock::time_point val_start = Clock::now();
  validation_pass(run, e);
  e.seconds = pass.seconds + seconds_since(val_start);
  end_epoch(run, e, pass.out_of_steps);
  if (InterruptHandler::requested() && !s.finished)  // Ctrl-C during validation
    stop_interrupted(run, "after epoch " + std::to_string(epoch + 1));
}

void print_done(const Run& run) {
  const TrainingState& s = run.state;
  if (s.skipped_steps > 0)
    std::printf("warning: skipped %lld steps with a non-finite loss or gradient (--on-nan skip)\n",
                static_cast<long long>(s.skipped_steps));
  if (s.best_epoch < 0)
    std::printf("done: no epoch had a finite validation loss, so there is no best.safetensors\n");
  else if (!run.has_val)
    std::printf("done: no validation images; best.safetensors holds the last epoch\n");
  else
    std::printf("done: best validation loss %.4f at epoch %lld; %s\n", s.best_val_loss,
                static_cast<long long>(s.best_epoch + 1), run.path("best.safetensors").c_str());
}

}  // namespace

void run_training(const TrainConfig& config, const TrainingCheckpoint* resume) {
  if (resume) require_something_to_continue(config, resume->state);
  // From here a signal is recorded, not fatal: a cache build stops at once
  // and keeps nothing; in the epochs, the current step ends and last.ckpt is
  // saved before the program exits.
  InterruptHandler interrupt_handler;
  Run run;
  run.config = config;
  run.dir = config.out;
  set_up(run, resume);
  while (!run.state.finished) run_epoch(run);
  print_done(run);
}

}  // namespace train
}  // namespace cudagrad
