// The training loop of `cudagrad train`, from a config to a run folder:
//
//   config.json       every setting
//   splits.csv        which image is in train, val and test
//   metrics.csv       one row per epoch
//   best.safetensors  the weights with the lowest validation loss
//   last.ckpt         everything needed to continue (train/checkpoint.h)
//
// Each epoch: a shuffled, augmented pass over the training part (one
// optimizer step per batch, a progress line on stderr), a pass over the
// validation part, one summary line, then the files above, each replaced
// atomically. In trainer.cpp each of these is one function, read top to
// bottom: set_up (data, model, split, loaders, optimizer), then run_epoch
// until the run is finished: train_pass, validation_pass, end_epoch (best
// model, metrics.csv, last.ckpt). The loop is deterministic for a seed and thread count: the
// batch order and augmentation depend only on (seed, epoch, image), so a
// run continued from last.ckpt computes exactly what an uninterrupted run
// would have.
//
// Stops: after the last epoch, when early stopping's patience runs out,
// after --max-steps steps, on a non-finite loss or gradient (an Error naming
// the first layer where it appeared, unless --on-nan skip), and on Ctrl-C
// (after the current step, with last.ckpt saved: an Interrupted error).
#pragma once
#include "train/checkpoint.h"
#include "train/train_config.h"

namespace cudagrad {
namespace train {

// Trains `config` into config.out: from scratch, or continuing `resume`
// (the checkpoint read from config.out/last.ckpt) when it is given.
void run_training(const TrainConfig& config, const TrainingCheckpoint* resume);

}  // namespace train
}  // namespace cudagrad
