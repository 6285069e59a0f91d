"""Keras's learning-rate schedules and ReduceLROnPlateau (test/optim/keras-schedules.test.ts):
each schedule's rate at steps 0-40; two optimizers trained 20 steps on given gradients with a
schedule as their learning rate; and the learning rate ReduceLROnPlateau leaves after each epoch
of given monitored values."""
import numpy as np
from keras import Input, Sequential, Variable, callbacks, layers, optimizers
from keras.optimizers import schedules

# name: (Keras arguments, torchlet class, torchlet options)
SCHEDULES = {
    "exponential": ({"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.5}, "ExponentialDecay",
                    {"initialLearningRate": 0.1, "decaySteps": 7, "decayRate": 0.5}),
    "exponential_staircase": ({"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.5, "staircase": True},
                              "ExponentialDecay", {"initialLearningRate": 0.1, "decaySteps": 7, "decayRate": 0.5, "staircase": True}),
    "cosine": ({"initial_learning_rate": 0.1, "decay_steps": 20}, "CosineDecay", {"initialLearningRate": 0.1, "decaySteps": 20}),
    "cosine_alpha": ({"initial_learning_rate": 0.1, "decay_steps": 20, "alpha": 0.1}, "CosineDecay",
                     {"initialLearningRate": 0.1, "decaySteps": 20, "alpha": 0.1}),
    "cosine_warmup": ({"initial_learning_rate": 0.0, "decay_steps": 20, "warmup_target": 0.1, "warmup_steps": 10}, "CosineDecay",
                      {"initialLearningRate": 0.0, "decaySteps": 20, "warmupTarget": 0.1, "warmupSteps": 10}),
    "cosine_warmup_alpha": ({"initial_learning_rate": 0.05, "decay_steps": 20, "alpha": 0.2, "warmup_target": 0.1, "warmup_steps": 5},
                            "CosineDecay", {"initialLearningRate": 0.05, "decaySteps": 20, "alpha": 0.2, "warmupTarget": 0.1, "warmupSteps": 5}),
}
CLASSES = {"ExponentialDecay": schedules.ExponentialDecay, "CosineDecay": schedules.CosineDecay}

# name: (Keras optimizer, its other arguments, schedule name, torchlet class, torchlet options)
TRAINING = {
    "sgd_momentum_exponential": (optimizers.SGD, {"momentum": 0.9}, "exponential_staircase", "SGD", {"momentum": 0.9}),
    "adam_cosine_warmup_wd": (optimizers.Adam, {"weight_decay": 0.1}, "cosine_warmup_alpha", "Adam", {"weightDecay": 0.1}),
}

# name: (Keras arguments, torchlet arguments, monitor, values)
PLATEAUS = {
    "loss_patience_cooldown": ({"factor": 0.5, "patience": 2, "cooldown": 1, "min_lr": 0.01},
                               {"factor": 0.5, "patience": 2, "cooldown": 1, "minLr": 0.01}, "val_loss",
                               [1.0, 0.9, 0.95, 0.91, 0.92, 0.93, 0.94, 0.8, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9, 0.91, 0.92]),
    "loss_min_delta": ({"factor": 0.2, "patience": 1, "min_delta": 0.05}, {"factor": 0.2, "patience": 1, "minDelta": 0.05}, "val_loss",
                       [1.0, 0.96, 0.9, 0.89, 0.7, 0.69, 0.68, 0.6]),
    "accuracy_max": ({"factor": 0.5, "patience": 1, "mode": "max"}, {"factor": 0.5, "patience": 1, "mode": "max"}, "val_accuracy",
                     [0.5, 0.6, 0.55, 0.58, 0.7, 0.69, 0.71, 0.71]),
}


def build():
    out = {"schedules": {}, "training": {}, "plateaus": {}}
    for name, (args, cls, options) in SCHEDULES.items():
        schedule = CLASSES[cls](**args)
        out["schedules"][name] = {"class": cls, "options": options,
                                  "rates": np.array([float(schedule(step)) for step in range(41)], dtype=np.float64)}

    rng = np.random.default_rng(11)
    init = [rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal(5).astype(np.float32)]
    grads = [[rng.standard_normal(v.shape).astype(np.float32) for v in init] for _ in range(20)]
    out["init"], out["grads"] = init, grads
    for name, (cls, args, schedule_name, torchlet_class, options) in TRAINING.items():
        schedule_args, schedule_class, schedule_options = SCHEDULES[schedule_name]
        variables = [Variable(v.copy()) for v in init]
        optimizer = cls(learning_rate=CLASSES[schedule_class](**schedule_args), **args)
        after = []
        for step_grads in grads:
            optimizer.apply_gradients(zip(step_grads, variables))
            after.append([v.numpy().copy() for v in variables])
        out["training"][name] = {"class": torchlet_class, "options": options, "scheduleClass": schedule_class,
                                 "schedule": schedule_options, "after": after}

    for name, (args, options, monitor, values) in PLATEAUS.items():
        model = Sequential([Input((2,)), layers.Dense(1)])
        model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
        callback = callbacks.ReduceLROnPlateau(monitor=monitor, **args)
        callback.set_model(model)
        callback.on_train_begin()
        rates = []
        for epoch, value in enumerate(values):
            callback.on_epoch_end(epoch, {monitor: value})
            rates.append(float(model.optimizer.learning_rate.numpy()))
        out["plateaus"][name] = {"options": options, "monitor": monitor, "values": np.array(values, dtype=np.float64),
                                 "rates": np.array(rates, dtype=np.float64)}
    return out
