"""Reference optimizer trajectories (test/optim/keras-optimizers.test.ts): two variables, 20
steps of given gradients (the second variable has none at step 2, which Keras skips while its
step count still advances), for each optimizer configuration; the learning rate is halved after
step 1, which tells Keras's SGD velocity form from PyTorch's. Also each optimizer's defaults."""
import numpy as np
from keras import Variable, optimizers

STEPS = 20

# name: (Keras class, Keras arguments, torchlet class, torchlet options)
CONFIGS = {
    "adam_default": (optimizers.Adam, {}, "Adam", {}),
    "adam_amsgrad_wd": (optimizers.Adam, {"learning_rate": 1e-2, "amsgrad": True, "weight_decay": 0.1},
                        "Adam", {"learningRate": 1e-2, "amsgrad": True, "weightDecay": 0.1}),
    "adamw_default": (optimizers.AdamW, {}, "AdamW", {}),
    "adamw": (optimizers.AdamW, {"learning_rate": 1e-2, "weight_decay": 0.05, "beta_2": 0.99, "epsilon": 1e-5},
              "AdamW", {"learningRate": 1e-2, "weightDecay": 0.05, "beta2": 0.99, "epsilon": 1e-5}),
    "sgd_plain": (optimizers.SGD, {"learning_rate": 0.1}, "SGD", {"learningRate": 0.1}),
    "sgd_momentum_wd": (optimizers.SGD, {"learning_rate": 0.1, "momentum": 0.9, "weight_decay": 0.01},
                        "SGD", {"learningRate": 0.1, "momentum": 0.9, "weightDecay": 0.01}),
    "sgd_nesterov": (optimizers.SGD, {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True},
                     "SGD", {"learningRate": 0.1, "momentum": 0.9, "nesterov": True}),
    "rmsprop_default": (optimizers.RMSprop, {}, "RMSprop", {}),
    "rmsprop_centered_momentum": (optimizers.RMSprop, {"learning_rate": 1e-2, "rho": 0.8, "momentum": 0.5, "centered": True, "epsilon": 1e-6},
                                  "RMSprop", {"learningRate": 1e-2, "rho": 0.8, "momentum": 0.5, "centered": True, "epsilon": 1e-6}),
    "adagrad_default": (optimizers.Adagrad, {}, "Adagrad", {}),
    "adagrad": (optimizers.Adagrad, {"learning_rate": 0.1, "initial_accumulator_value": 0.3, "weight_decay": 0.02},
                "Adagrad", {"learningRate": 0.1, "initialAccumulatorValue": 0.3, "weightDecay": 0.02}),
    "adamax_default": (optimizers.Adamax, {}, "Adamax", {}),
    "adamax": (optimizers.Adamax, {"learning_rate": 1e-2, "beta_1": 0.8, "weight_decay": 0.02},
               "Adamax", {"learningRate": 1e-2, "beta1": 0.8, "weightDecay": 0.02}),
    "nadam_default": (optimizers.Nadam, {}, "Nadam", {}),
    "nadam": (optimizers.Nadam, {"learning_rate": 1e-2, "beta_1": 0.8, "beta_2": 0.99},
              "Nadam", {"learningRate": 1e-2, "beta1": 0.8, "beta2": 0.99}),
    "lion_default": (optimizers.Lion, {}, "Lion", {}),
    "lion": (optimizers.Lion, {"learning_rate": 1e-2, "beta_1": 0.95, "beta_2": 0.98, "weight_decay": 0.1},
             "Lion", {"learningRate": 1e-2, "beta1": 0.95, "beta2": 0.98, "weightDecay": 0.1}),
}

# Keras's argument names as torchlet's options.
OPTION_NAMES = {
    "learning_rate": "learningRate", "beta_1": "beta1", "beta_2": "beta2", "epsilon": "epsilon", "amsgrad": "amsgrad",
    "weight_decay": "weightDecay", "momentum": "momentum", "nesterov": "nesterov", "rho": "rho", "centered": "centered",
    "initial_accumulator_value": "initialAccumulatorValue",
}
CLASSES = {"Adam": optimizers.Adam, "AdamW": optimizers.AdamW, "SGD": optimizers.SGD, "RMSprop": optimizers.RMSprop,
           "Adagrad": optimizers.Adagrad, "Adamax": optimizers.Adamax, "Nadam": optimizers.Nadam, "Lion": optimizers.Lion}


def defaults(cls):
    config = cls().get_config()
    out = {OPTION_NAMES[k]: v for k, v in config.items() if k in OPTION_NAMES}
    out["weightDecay"] = out.get("weightDecay") or 0  # Keras's None: no decay
    out["learningRate"] = float(str(np.float32(out["learningRate"])))  # a float32 variable's value, as written
    return out


def build():
    rng = np.random.default_rng(5)
    init = [rng.standard_normal((6, 5)).astype(np.float32), rng.standard_normal(7).astype(np.float32)]
    grads = [[rng.standard_normal(v.shape).astype(np.float32) for v in init] for _ in range(STEPS)]
    grads[2][1] = None
    out = {"init": init, "grads": grads, "configs": {}, "defaults": {name: defaults(cls) for name, cls in CLASSES.items()}}
    for name, (cls, args, torchlet_class, options) in CONFIGS.items():
        variables = [Variable(v.copy()) for v in init]
        optimizer = cls(**args)
        optimizer.build(variables)
        after = []
        for step, step_grads in enumerate(grads):
            optimizer.apply_gradients([(g, v) for g, v in zip(step_grads, variables) if g is not None])
            after.append([v.numpy().copy() for v in variables])
            if step == 0:
                optimizer.learning_rate = float(optimizer.learning_rate.numpy()) * 0.5
        out["configs"][name] = {"class": torchlet_class, "options": options, "after": after}
    return out
