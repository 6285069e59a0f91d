import { describe, expect, it } from 'vitest';
import { trainingCurvesSvg } from '../../lib/cli/plot.js';

const history = {
  loss: [2.3, 1.6, 1.2, 0.9, 0.8],
  val_loss: [2.1, 1.7, 1.4, 1.3, 1.35],
  accuracy: [0.12, 0.41, 0.58, 0.69, 0.74],
  val_accuracy: [0.2, 0.38, 0.5, 0.55, 0.56],
};

/** Checks XML well-formedness with a tag stack: every element closes in order, attributes are quoted, text has no stray markup. */
function expectWellFormedSvg(svg: string): void {
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  const stack: string[] = [];
  let roots = 0;
  const tag = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<>]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < svg.length) {
    const lt = svg.indexOf('<', i);
    const text = svg.slice(i, lt === -1 ? svg.length : lt);
    expect(text).not.toMatch(/>|&(?!(amp|lt|gt|quot|apos);)/);
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(svg);
    expect(m, `malformed tag at ${svg.slice(lt, lt + 60)}`).not.toBeNull();
    const [whole, closing, name, , selfClosing] = m!;
    if (closing) expect(stack.pop()).toBe(name);
    else if (!selfClosing) {
      if (stack.length === 0) roots++;
      stack.push(name);
    }
    i = lt + whole.length;
  }
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
  expect(svg).not.toMatch(/NaN|Infinity/);
}

function attr(element: string, name: string): string | undefined {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(element)?.[1];
}

/** The `<g class="series">` group of one history key, or undefined when it was not drawn. */
function seriesGroup(svg: string, key: string): string | undefined {
  return new RegExp(`<g class="series" data-series="${key}"[^>]*>[\\s\\S]*?</g>`).exec(svg)?.[0];
}

function markers(svg: string, key: string): Array<{ x: number; y: number }> {
  const group = seriesGroup(svg, key) ?? '';
  return [...group.matchAll(/<circle[^>]*>/g)].map(([c]) => ({ x: Number(attr(c, 'cx')), y: Number(attr(c, 'cy')) }));
}

function panel(svg: string, title: string): string {
  const start = svg.indexOf(`<g class="panel" data-panel="${title}">`);
  expect(start).toBeGreaterThanOrEqual(0);
  const next = svg.indexOf('<g class="panel"', start + 1);
  return svg.slice(start, next === -1 ? undefined : next);
}

function plotArea(panelSvg: string): { left: number; right: number; top: number; bottom: number } {
  const rect = /<rect class="plot-area"[^>]*>/.exec(panelSvg)![0];
  const [x, y, w, h] = ['x', 'y', 'width', 'height'].map((a) => Number(attr(rect, a)));
  return { left: x, right: x + w, top: y, bottom: y + h };
}

function yTicks(panelSvg: string): number[] {
  return [...panelSvg.matchAll(/<text class="y-tick"[^>]*>([^<]*)</g)].map((m) => Number(m[1]));
}

describe('trainingCurvesSvg', () => {
  const svg = trainingCurvesSvg(history, { title: 'CIFAR-10' });

  it('is a standalone, well-formed SVG document with a size and viewBox', () => {
    expectWellFormedSvg(svg);
    const root = /<svg[^>]*>/.exec(svg)![0];
    expect(attr(root, 'width')).toBe('960');
    expect(attr(root, 'viewBox')).toBe(`0 0 960 ${attr(root, 'height')}`);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });

  it('draws a Loss and an Accuracy panel side by side, under the title', () => {
    expect([...svg.matchAll(/<text class="panel-title"[^>]*>([^<]*)</g)].map((m) => m[1])).toEqual(['Loss', 'Accuracy']);
    expect(/<text class="title"[^>]*>([^<]*)</.exec(svg)![1]).toBe('CIFAR-10');
    const loss = plotArea(panel(svg, 'Loss'));
    const accuracy = plotArea(panel(svg, 'Accuracy'));
    expect(loss.right).toBeLessThan(accuracy.left);
    expect(loss.top).toBe(accuracy.top);
  });

  it('labels the axes and lists train and validation in each legend', () => {
    for (const [title, key] of [
      ['Loss', 'loss'],
      ['Accuracy', 'accuracy'],
    ] as const) {
      const p = panel(svg, title);
      expect([...p.matchAll(/<text class="axis-label"[^>]*>([^<]*)</g)].map((m) => m[1])).toEqual(['epoch', key]);
      expect([...p.matchAll(/<g class="legend-entry" data-series="([^"]*)"/g)].map((m) => m[1])).toEqual([key, `val_${key}`]);
      expect([...p.matchAll(/<g class="legend-entry"[\s\S]*?<text[^>]*>([^<]*)</g)].map((m) => m[1])).toEqual(['train', 'validation']);
    }
  });

  it('dashes validation series and draws train series solid', () => {
    for (const key of ['loss', 'accuracy']) {
      expect(seriesGroup(svg, key)).not.toContain('stroke-dasharray');
      expect(seriesGroup(svg, `val_${key}`)).toContain('stroke-dasharray="6 4"');
    }
  });

  it('puts the first and last epoch at the ends of the plot area, one marker per epoch', () => {
    const area = plotArea(panel(svg, 'Loss'));
    expect(area).toEqual({ left: 64, right: 460, top: 74, bottom: 334 });
    for (const key of ['loss', 'val_loss']) {
      const points = markers(svg, key);
      expect(points.map((p) => p.x)).toEqual([64, 163, 262, 361, 460]);
    }
    const accuracyArea = plotArea(panel(svg, 'Accuracy'));
    expect(markers(svg, 'accuracy').map((p) => p.x)).toEqual([accuracyArea.left, 643, 742, 841, accuracyArea.right]);
  });

  it('draws higher values higher, on a nicely rounded y axis that spans the data', () => {
    const loss = markers(svg, 'loss').map((p) => p.y);
    for (let i = 1; i < loss.length; i++) expect(loss[i]).toBeGreaterThan(loss[i - 1]); // loss falls, so y grows
    const accuracy = markers(svg, 'accuracy').map((p) => p.y);
    for (let i = 1; i < accuracy.length; i++) expect(accuracy[i]).toBeLessThan(accuracy[i - 1]);

    expect(yTicks(panel(svg, 'Loss'))).toEqual([0.5, 1, 1.5, 2, 2.5]);
    expect(yTicks(panel(svg, 'Accuracy'))).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    // 2.3 on a 0.5..2.5 axis over 260px sits 10% below the top: 74 + 26.
    expect(markers(svg, 'loss')[0].y).toBe(100);
  });

  it('thins epoch ticks for long runs but keeps every epoch for short ones', () => {
    const xTicks = (s: string) => [...s.matchAll(/<text class="x-tick"[^>]*>([^<]*)</g)].map((m) => Number(m[1]));
    expect(xTicks(panel(svg, 'Loss'))).toEqual([1, 2, 3, 4, 5]);
    const long = trainingCurvesSvg({ loss: Array.from({ length: 100 }, (_, i) => 1 / (i + 1)) });
    expectWellFormedSvg(long);
    expect(xTicks(panel(long, 'Loss'))).toEqual([1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(markers(long, 'loss')).toHaveLength(100);
  });

  it('returns the same string for the same input', () => {
    expect(trainingCurvesSvg(history, { title: 'CIFAR-10' })).toBe(svg);
  });
});

describe('trainingCurvesSvg edge cases', () => {
  it('draws a single epoch as one centred marker without a line', () => {
    const one = trainingCurvesSvg({ loss: [0.7], accuracy: [0.5] });
    expectWellFormedSvg(one);
    const area = plotArea(panel(one, 'Loss'));
    expect(markers(one, 'loss')).toEqual([{ x: (area.left + area.right) / 2, y: expect.any(Number) }]);
    expect(seriesGroup(one, 'loss')).not.toContain('<polyline');
    const { y } = markers(one, 'loss')[0];
    expect(y).toBeGreaterThan(area.top);
    expect(y).toBeLessThan(area.bottom);
  });

  it('gives all-equal values a non-zero y range with the value inside it', () => {
    const flat = trainingCurvesSvg({ loss: [0, 0, 0], accuracy: [1, 1, 1] });
    expectWellFormedSvg(flat);
    const lossTicks = yTicks(panel(flat, 'Loss'));
    expect(lossTicks[0]).toBeLessThan(0);
    expect(lossTicks.at(-1)).toBeGreaterThan(0);
    // Accuracy of 1 keeps its axis inside 0..1.
    expect(yTicks(panel(flat, 'Accuracy'))).toEqual([0.9, 0.92, 0.94, 0.96, 0.98, 1]);
    const area = plotArea(panel(flat, 'Accuracy'));
    expect(markers(flat, 'accuracy').map((p) => p.y)).toEqual([area.top, area.top, area.top]);
  });

  it('skips NaN and Infinity points but keeps epoch numbering', () => {
    const broken = trainingCurvesSvg({ loss: [1, NaN, 0.5, Infinity, 0.25], val_loss: [-Infinity, 1] });
    expectWellFormedSvg(broken);
    expect(markers(broken, 'loss').map((p) => p.x)).toEqual([64, 262, 460]);
    expect(markers(broken, 'val_loss').map((p) => p.x)).toEqual([163]);
    expect(yTicks(panel(broken, 'Loss'))).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
  });

  it("says 'no data' in a panel whose series are missing, empty or all non-finite", () => {
    const histories: Array<Record<string, number[]>> = [
      { loss: [1, 0.5] },
      { loss: [1, 0.5], accuracy: [] },
      { loss: [1, 0.5], accuracy: [NaN, NaN] },
    ];
    for (const h of histories) {
      const s = trainingCurvesSvg(h);
      expectWellFormedSvg(s);
      expect(panel(s, 'Accuracy')).toContain('>no data</text>');
      expect(panel(s, 'Accuracy')).not.toContain('class="legend-entry"');
      expect(panel(s, 'Loss')).not.toContain('no data');
    }
    const empty = trainingCurvesSvg({});
    expectWellFormedSvg(empty);
    expect(empty.match(/>no data</g)).toHaveLength(2);
  });

  it('draws only the series present, e.g. no validation', () => {
    const trainOnly = trainingCurvesSvg({ loss: [1, 0.5], accuracy: [0.3, 0.6] });
    expect(seriesGroup(trainOnly, 'val_loss')).toBeUndefined();
    expect([...trainOnly.matchAll(/<g class="legend-entry" data-series="([^"]*)"/g)].map((m) => m[1])).toEqual(['loss', 'accuracy']);
    expect(trainOnly).not.toContain('stroke-dasharray');
  });

  it('escapes the title for XML', () => {
    const s = trainingCurvesSvg(history, { title: `a<b> & "c" 'd'` });
    expectWellFormedSvg(s);
    expect(/<text class="title"[^>]*>([^<]*)</.exec(s)![1]).toBe('a&lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;');
  });
});
