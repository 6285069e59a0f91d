#include "lr-schedule.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "args.h"
#include "convert.h"
#include "errors.h"

namespace torchlet {

double LearningRateSchedule::at(int64_t step) const {
  auto t = static_cast<double>(step);
  switch (kind) {
    case Kind::ExponentialDecay: {
      double p = t / decaySteps;
      return initial * std::pow(decayRate, staircase ? std::floor(p) : p);
    }
    case Kind::CosineDecay: {
      // Linear warm-up from the initial rate to warmupTarget, then cosine decay from there.
      double from = warmup ? warmupTarget : initial;
      t = std::min(t, decaySteps + (warmup ? warmupSteps : 0));
      if (warmup && t < warmupSteps) return (warmupTarget - initial) * (t / warmupSteps) + initial;
      double fraction = (t - (warmup ? warmupSteps : 0)) / decaySteps;
      double cosine = 0.5 * (1 + std::cos(M_PI * fraction));
      return from * ((1 - alpha) * cosine + alpha);
    }
    default:
      return initial;
  }
}

LearningRateSchedule LearningRateSchedule::read(const Args& a, size_t i, LearningRateSchedule base, double learningRate) {
  LearningRateSchedule s = base;
  double kind = a.optionNumber(i, "schedule", static_cast<double>(s.kind));
  if (kind != 0 && kind != 1 && kind != 2) throw ArgRangeError("schedule must be 0, 1 or 2, got " + formatNumber(kind));
  s.kind = static_cast<Kind>(static_cast<int>(kind));
  s.initial = learningRate;
  s.decaySteps = a.optionNumber(i, "decaySteps", s.decaySteps);
  s.decayRate = a.optionNumber(i, "decayRate", s.decayRate);
  s.staircase = a.optionFlag(i, "staircase", s.staircase);
  s.alpha = a.optionNumber(i, "alpha", s.alpha);
  s.warmup = a.optionFlag(i, "warmup", s.warmup);
  s.warmupTarget = a.optionNumber(i, "warmupTarget", s.warmupTarget);
  s.warmupSteps = a.optionNumber(i, "warmupSteps", s.warmupSteps);
  if (!(s.decaySteps > 0)) throw ArgRangeError("decaySteps must be > 0, got " + formatNumber(s.decaySteps));
  if (!(s.decayRate >= 0)) throw ArgRangeError("decayRate must be >= 0, got " + formatNumber(s.decayRate));
  if (!(s.alpha >= 0 && s.alpha <= 1)) throw ArgRangeError("alpha must be in [0, 1], got " + formatNumber(s.alpha));
  if (!(s.warmupSteps >= 0)) throw ArgRangeError("warmupSteps must be >= 0, got " + formatNumber(s.warmupSteps));
  if (s.warmup && !(s.warmupTarget >= 0)) throw ArgRangeError("warmupTarget must be >= 0, got " + formatNumber(s.warmupTarget));
  return s;
}

}  // namespace torchlet
