// Keras's learning-rate schedules (keras.optimizers.schedules), evaluated natively at the
// optimizer's step count, so that steps run in jobs off the JS thread follow them step by step.
#pragma once

#include <cstddef>
#include <cstdint>

namespace torchlet {

class Args;

struct LearningRateSchedule {
  enum class Kind { None = 0, ExponentialDecay = 1, CosineDecay = 2 };
  Kind kind = Kind::None;
  double initial = 0, decaySteps = 1, decayRate = 1, alpha = 0, warmupTarget = 0, warmupSteps = 0;
  bool staircase = false, warmup = false;

  // The learning rate of the step after `step` steps (Keras calls the schedule with `iterations`).
  double at(int64_t step) const;
  // Reads the schedule fields of the options object at position i (lib/optim/schedules.ts writes
  // them), over `base`; `initial` is the options' learningRate.
  static LearningRateSchedule read(const Args& a, size_t i, LearningRateSchedule base, double learningRate);
};

}  // namespace torchlet
