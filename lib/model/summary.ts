// model.summary(): Keras 3's table of layers, output shapes and parameter counts.
import type { Layer, Shape } from '../nn/layer.js';

/** One row of the summary. */
export interface SummaryRow {
  layer: Layer;
  outputShape: Shape;
}

const WIDTHS = [33, 24, 15];

function row(cells: string[], edge: [string, string, string]): string {
  const [left, mid, right] = edge;
  return left + cells.map((c, i) => ` ${i === 2 ? c.padStart(WIDTHS[i] - 2) : c.padEnd(WIDTHS[i] - 2)} `).join(mid) + right;
}

function rule(left: string, mid: string, right: string, fill: string): string {
  return left + WIDTHS.map((w) => fill.repeat(w)).join(mid) + right;
}

function bytes(params: number): string {
  const b = params * 4;
  if (b >= 1024 ** 2) return `${(b / 1024 ** 2).toFixed(2)} MB`;
  if (b >= 1024) return `${(b / 1024).toFixed(2)} KB`;
  return `${b.toFixed(2)} B`;
}

/** The summary of a model named `name` whose layers produce `rows`. */
export function formatSummary(name: string, rows: SummaryRow[]): string {
  const lines = [
    `Model: "${name}"`,
    rule('┏', '┳', '┓', '━'),
    row(['Layer (type)', 'Output Shape', 'Param #'], ['┃', '┃', '┃']),
    rule('┡', '╇', '┩', '━'),
  ];
  rows.forEach(({ layer, outputShape }, i) => {
    lines.push(
      row(
        [`${layer.name} (${layer.className})`, `(None, ${outputShape.join(', ')})`, layer.countParams().toLocaleString('en-US')],
        ['│', '│', '│'],
      ),
    );
    if (i < rows.length - 1) lines.push(rule('├', '┼', '┤', '─'));
  });
  lines.push(rule('└', '┴', '┘', '─'));
  const total = rows.reduce((n, r) => n + r.layer.countParams(), 0);
  const trainable = rows.reduce((n, r) => n + r.layer.trainableWeights.reduce((m, t) => m + t.numel, 0), 0);
  lines.push(` Total params: ${total.toLocaleString('en-US')} (${bytes(total)})`);
  lines.push(` Trainable params: ${trainable.toLocaleString('en-US')} (${bytes(trainable)})`);
  lines.push(` Non-trainable params: ${(total - trainable).toLocaleString('en-US')} (${bytes(total - trainable)})`);
  return lines.join('\n');
}
