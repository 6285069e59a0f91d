// model.summary(): Keras 3's table of layers, output shapes and parameter counts, with the
// "Connected to" column for a functional model, as Keras prints it on an 80-column terminal
// (cells wrap at spaces, as rich wraps them).
import type { Layer, Shape } from '../nn/layer.js';

/** One row of the summary. */
export interface SummaryRow {
  layer: Layer;
  outputShape: Shape;
  /** A functional model's: what the layer's calls read, as `layer[call][0]`. */
  connectedTo?: string[];
}

// Column widths (with their padding), as Keras's rich table sets them at 76 characters.
const SEQUENTIAL_WIDTHS = [33, 24, 15];
const FUNCTIONAL_WIDTHS = [21, 19, 12, 19];
// The columns aligned right: Param #.
const RIGHT = 2;

// `text` in lines of at most `width`, as rich wraps a cell: greedy at spaces; a word longer than
// the width gets a line of its own, cut to end in '…'.
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length <= width) {
      line += ' ' + word;
      continue;
    }
    if (line) lines.push(line);
    line = word.length > width ? word.slice(0, width - 1) + '…' : word;
  }
  lines.push(line);
  return lines;
}

function row(cells: string[], widths: number[], bar: string): string[] {
  const wrapped = cells.map((c, i) => wrap(c, widths[i] - 2));
  const height = Math.max(...wrapped.map((w) => w.length));
  return Array.from(
    { length: height },
    (_, k) =>
      bar +
      wrapped
        .map((w, i) => {
          const text = w[k] ?? '';
          return ` ${i === RIGHT ? text.padStart(widths[i] - 2) : text.padEnd(widths[i] - 2)} `;
        })
        .join(bar) +
      bar,
  );
}

function rule(widths: number[], left: string, mid: string, right: string, fill: string): string {
  return left + widths.map((w) => fill.repeat(w)).join(mid) + right;
}

// float32 weights' size as Keras writes it: `f"{size:.2f}"`, whose ties round to even (6.125 KB is
// 6.12). bytes·100 / unit is exact in a double (the unit is a power of two), so the tie test is too.
function bytes(params: number): string {
  const b = params * 4;
  const [unit, suffix] = b >= 1024 ** 2 ? [1024 ** 2, 'MB'] : b >= 1024 ? [1024, 'KB'] : [1, 'B'];
  const hundredths = (b * 100) / unit;
  const down = Math.floor(hundredths);
  const excess = hundredths - down;
  const rounded = excess > 0.5 || (excess === 0.5 && down % 2 === 1) ? down + 1 : down;
  return `${Math.floor(rounded / 100)}.${String(rounded % 100).padStart(2, '0')} ${suffix}`;
}

/** The summary of a model named `name` whose layers produce `rows`. */
export function formatSummary(name: string, rows: SummaryRow[]): string {
  const functional = rows.some((r) => r.connectedTo !== undefined);
  const widths = functional ? FUNCTIONAL_WIDTHS : SEQUENTIAL_WIDTHS;
  const header = ['Layer (type)', 'Output Shape', 'Param #', ...(functional ? ['Connected to'] : [])];
  const lines = [`Model: "${name}"`, rule(widths, '┏', '┳', '┓', '━'), ...row(header, widths, '┃'), rule(widths, '┡', '╇', '┩', '━')];
  rows.forEach(({ layer, outputShape, connectedTo }, i) => {
    const cells = [`${layer.name} (${layer.className})`, `(None, ${outputShape.join(', ')})`, layer.countParams().toLocaleString('en-US')];
    if (functional) cells.push(connectedTo?.length ? connectedTo.join(', ') : '-');
    lines.push(...row(cells, widths, '│'));
    if (i < rows.length - 1) lines.push(rule(widths, '├', '┼', '┤', '─'));
  });
  lines.push(rule(widths, '└', '┴', '┘', '─'));
  const total = rows.reduce((n, r) => n + r.layer.countParams(), 0);
  const trainable = rows.reduce((n, r) => n + r.layer.trainableWeights.reduce((m, t) => m + t.numel, 0), 0);
  lines.push(` Total params: ${total.toLocaleString('en-US')} (${bytes(total)})`);
  lines.push(` Trainable params: ${trainable.toLocaleString('en-US')} (${bytes(trainable)})`);
  lines.push(` Non-trainable params: ${(total - trainable).toLocaleString('en-US')} (${bytes(total - trainable)})`);
  return lines.join('\n');
}
