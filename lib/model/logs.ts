// The logs that fit, evaluate and the callbacks pass around.

/** Metric values by name ('loss', 'accuracy', 'val_loss', ...). Batch logs read the device only when a value is accessed. */
export type Logs = Record<string, number>;
