const WIDTH = 960;
const PANEL_WIDTH = WIDTH / 2;
const PLOT_HEIGHT = 260;
const MARGIN = { left: 64, right: 20, header: 30, footer: 72 };
const GRID = '#e6e6e6';
const INK = '#333';

interface PanelSpec {
  title: string;
  axisLabel: string;
  key: string;
  colors: [train: string, validation: string];
  // Accuracy-like metrics never leave 0..1, so neither should their axis.
  unitRange: boolean;
}

const PANELS: PanelSpec[] = [
  { title: 'Loss', axisLabel: 'loss', key: 'loss', colors: ['#1f77b4', '#6baed6'], unitRange: false },
  { title: 'Accuracy', axisLabel: 'accuracy', key: 'accuracy', colors: ['#d94801', '#fd8d3c'], unitRange: true },
];

interface Series {
  key: string;
  label: string;
  color: string;
  dashed: boolean;
  length: number;
  points: Array<[epoch: number, value: number]>;
}

/**
 * Renders a Keras `History.history` dict (`loss`, `accuracy`, `val_loss`, `val_accuracy`, any subset)
 * as a standalone SVG document with side-by-side "Loss" and "Accuracy" panels: train series solid,
 * validation dashed, one point per epoch. Non-finite values are skipped; a panel without any finite
 * value says "no data". The output depends only on the input.
 *
 * @param options.title Heading drawn above both panels (default: none).
 */
export function trainingCurvesSvg(history: Record<string, number[]>, options: { title?: string } = {}): string {
  const top = options.title ? 44 : 12;
  const height = top + MARGIN.header + PLOT_HEIGHT + MARGIN.footer;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
  ];
  if (options.title) {
    out.push(
      `<text class="title" x="${WIDTH / 2}" y="30" text-anchor="middle" font-size="18" font-weight="bold" fill="${INK}">${escapeXml(options.title)}</text>`,
    );
  }
  PANELS.forEach((spec, i) => out.push(...panelSvg(spec, history, i * PANEL_WIDTH, top)));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function panelSvg(spec: PanelSpec, history: Record<string, number[]>, x0: number, top: number): string[] {
  const left = x0 + MARGIN.left;
  const right = x0 + PANEL_WIDTH - MARGIN.right;
  const plotTop = top + MARGIN.header;
  const bottom = plotTop + PLOT_HEIGHT;
  const out = [
    `<g class="panel" data-panel="${spec.title}">`,
    `<text class="panel-title" x="${num((left + right) / 2)}" y="${plotTop - 10}" text-anchor="middle" font-size="15" font-weight="bold" fill="${INK}">${spec.title}</text>`,
  ];
  const series = [false, true]
    .map((dashed): Series => {
      const key = dashed ? `val_${spec.key}` : spec.key;
      const values = history[key] ?? [];
      const points = values.flatMap((v, i): Array<[number, number]> => (Number.isFinite(v) ? [[i + 1, v]] : []));
      const color = spec.colors[dashed ? 1 : 0];
      return { key, label: dashed ? 'validation' : 'train', color, dashed, length: values.length, points };
    })
    .filter((s) => s.points.length > 0);
  const frame = `<rect class="plot-area" x="${left}" y="${plotTop}" width="${right - left}" height="${PLOT_HEIGHT}" fill="none" stroke="#999"/>`;
  if (series.length === 0) {
    const middle = num((plotTop + bottom) / 2);
    return [
      ...out,
      frame,
      `<text class="no-data" x="${num((left + right) / 2)}" y="${middle}" text-anchor="middle" dy="0.35em" fill="#888">no data</text>`,
      '</g>',
    ];
  }

  const epochs = Math.max(...series.map((s) => s.length));
  const values = series.flatMap((s) => s.points.map(([, v]) => v));
  const { ticks, decimals } = niceTicks(...valueRange(values, spec.unitRange));
  const [lo, hi] = [ticks[0], ticks[ticks.length - 1]];
  const x = (epoch: number) => (epochs === 1 ? (left + right) / 2 : left + ((epoch - 1) / (epochs - 1)) * (right - left));
  const y = (value: number) => bottom - ((value - lo) / (hi - lo)) * PLOT_HEIGHT;

  for (const tick of ticks) {
    const ty = num(y(tick));
    out.push(`<line class="grid" x1="${left}" y1="${ty}" x2="${right}" y2="${ty}" stroke="${GRID}"/>`);
    out.push(`<text class="y-tick" x="${left - 6}" y="${ty}" text-anchor="end" dy="0.35em" fill="${INK}">${tick.toFixed(decimals)}</text>`);
  }
  for (const epoch of epochTicks(epochs)) {
    const tx = num(x(epoch));
    out.push(`<line class="grid" x1="${tx}" y1="${plotTop}" x2="${tx}" y2="${bottom}" stroke="${GRID}"/>`);
    out.push(`<text class="x-tick" x="${tx}" y="${bottom + 16}" text-anchor="middle" fill="${INK}">${epoch}</text>`);
  }
  out.push(frame);
  out.push(`<text class="axis-label" x="${num((left + right) / 2)}" y="${bottom + 34}" text-anchor="middle" fill="${INK}">epoch</text>`);
  const labelX = x0 + 16;
  const labelY = num((plotTop + bottom) / 2);
  out.push(
    `<text class="axis-label" x="${labelX}" y="${labelY}" transform="rotate(-90 ${labelX} ${labelY})" text-anchor="middle" fill="${INK}">${spec.axisLabel}</text>`,
  );

  for (const s of series) {
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<g class="series" data-series="${s.key}" stroke="${s.color}" fill="${s.color}">`);
    // A one-point polyline renders nothing, so a single epoch is shown by its marker alone.
    if (s.points.length > 1) {
      const coords = s.points.map(([e, v]) => `${num(x(e))},${num(y(v))}`).join(' ');
      out.push(`<polyline points="${coords}" fill="none" stroke-width="2"${dash}/>`);
    }
    for (const [e, v] of s.points) out.push(`<circle cx="${num(x(e))}" cy="${num(y(v))}" r="3"/>`);
    out.push('</g>');
  }

  out.push('<g class="legend">');
  series.forEach((s, i) => {
    const lx = left + i * 110;
    const ly = bottom + 56;
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<g class="legend-entry" data-series="${s.key}">`);
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 28}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(`<circle cx="${lx + 14}" cy="${ly}" r="3" fill="${s.color}"/>`);
    out.push(`<text x="${lx + 34}" y="${ly}" dy="0.35em" fill="${INK}">${s.label}</text>`);
    out.push('</g>');
  });
  out.push('</g>', '</g>');
  return out;
}

function valueRange(values: number[], unitRange: boolean): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  const withinUnit = unitRange && lo >= 0 && hi <= 1;
  // A flat curve still needs a non-zero span to be scaled into the plot.
  if (lo === hi) {
    const pad = Math.abs(lo) * 0.1 || 1;
    lo -= pad;
    hi += pad;
  }
  return withinUnit ? [Math.max(lo, 0), Math.min(hi, 1)] : [lo, hi];
}

function niceTicks(min: number, max: number): { ticks: number[]; decimals: number } {
  // Starting two decades below the span guarantees the first candidates are too fine; each
  // further step at most doubles, so the first one with <= 6 ticks still has >= 4.
  for (let exponent = Math.floor(Math.log10(max - min)) - 2; ; exponent++) {
    for (const mantissa of [1, 2, 2.5, 5]) {
      const step = mantissa * 10 ** exponent;
      const first = Math.floor(min / step + 1e-9);
      const last = Math.ceil(max / step - 1e-9);
      if (last - first > 5) continue;
      const decimals = Math.max(0, -exponent + (mantissa === 2.5 ? 1 : 0));
      const ticks = Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toFixed(decimals)));
      return { ticks, decimals };
    }
  }
}

function epochTicks(epochs: number): number[] {
  // Thin to steps of 2, 5, 10, 20, 50… so long runs keep about ten legible labels.
  let step = 1;
  for (let k = 0; epochs / step > 10; k++) step *= k % 3 === 1 ? 2.5 : 2;
  const ticks: number[] = [];
  for (let epoch = step; epoch <= epochs; epoch += step) ticks.push(epoch);
  if (step >= 5) ticks.unshift(1);
  return ticks;
}

function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
