// Keras's to_snake_case, which names layers (Sequential) and their weight groups in .keras files.

/** Keras's to_snake_case: 'MaxPooling2D' → 'max_pooling2d', 'ReLU' → 're_lu'. */
export function snakeCase(name: string): string {
  return name
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}
