'use strict';
// Inline SVG charts drawn from the gateway's own numbers: stacked bars (counts per bucket) and
// lines (latency per bucket). No library; every label is set as text, never parsed as markup.
(function () {
  const NS = 'http://www.w3.org/2000/svg';
  const W = 420;
  const H = 160;
  const LEFT = 58;
  const BOTTOM = 18;
  const TOP = 8;

  function node(tag, attrs, text) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function hhmm(ms) {
    const d = new Date(ms);
    return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  }

  /** A nice upper bound for the axis: 1, 2 or 5 times a power of ten. */
  function niceMax(value) {
    if (!(value > 0)) return 1;
    const power = 10 ** Math.floor(Math.log10(value));
    for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
    return 10 * power;
  }

  function frame(svg, starts, max, unit) {
    const plotH = H - TOP - BOTTOM;
    svg.append(node('line', { x1: LEFT, y1: TOP + plotH, x2: W, y2: TOP + plotH, stroke: '#99a' }));
    svg.append(node('line', { x1: LEFT, y1: TOP, x2: LEFT, y2: TOP + plotH, stroke: '#99a' }));
    svg.append(node('text', { x: LEFT - 4, y: TOP + 8, 'text-anchor': 'end', 'font-size': 10, fill: '#66707a' }, `${max}${unit}`));
    svg.append(node('text', { x: LEFT - 4, y: TOP + plotH, 'text-anchor': 'end', 'font-size': 10, fill: '#66707a' }, '0'));
    const every = Math.max(1, Math.ceil(starts.length / 6));
    starts.forEach((start, i) => {
      if (i % every !== 0) return;
      const x = LEFT + (i + 0.5) * ((W - LEFT) / starts.length);
      svg.append(node('text', { x, y: H - 4, 'text-anchor': 'middle', 'font-size': 10, fill: '#66707a' }, hhmm(start)));
    });
    return plotH;
  }

  function chartBox(parent, title, series, id) {
    const box = document.createElement('div');
    box.className = 'chart';
    box.id = id;
    const h = document.createElement('h3');
    h.textContent = title;
    const svg = node('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title });
    const legend = document.createElement('div');
    legend.className = 'legend';
    legend.textContent = series.map((s) => `${s.label}: ${s.total}`).join(' · ');
    box.append(h, svg, legend);
    parent.append(box);
    return svg;
  }

  /** Stacked bars: series = [{label, color, values}], one value per bucket start. */
  function bars(parent, id, title, starts, series, unit = '') {
    const totals = starts.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] || 0), 0));
    const withTotals = series.map((s) => ({ ...s, total: s.values.reduce((a, b) => a + (b || 0), 0) }));
    const svg = chartBox(parent, title, withTotals, id);
    const max = niceMax(Math.max(0, ...totals));
    const plotH = frame(svg, starts, max, unit);
    const slot = (W - LEFT) / starts.length;
    starts.forEach((start, i) => {
      let y = TOP + plotH;
      for (const s of series) {
        const v = s.values[i] || 0;
        if (v <= 0) continue;
        const h = (v / max) * plotH;
        y -= h;
        const rect = node('rect', { x: LEFT + i * slot + 1, y, width: Math.max(1, slot - 2), height: h, fill: s.color });
        rect.append(node('title', {}, `${hhmm(start)} ${s.label}: ${v}`));
        svg.append(rect);
      }
    });
  }

  /** Lines: series = [{label, color, values}], null where a bucket has no value. */
  function lines(parent, id, title, starts, series, unit = '') {
    const values = series.flatMap((s) => s.values.filter((v) => v !== null));
    const withTotals = series.map((s) => {
      const known = s.values.filter((v) => v !== null);
      return { ...s, total: known.length === 0 ? '-' : `${Math.max(...known)}${unit} max` };
    });
    const svg = chartBox(parent, title, withTotals, id);
    const max = niceMax(Math.max(0, ...values));
    const plotH = frame(svg, starts, max, unit);
    const slot = (W - LEFT) / starts.length;
    for (const s of series) {
      s.values.forEach((v, i) => {
        if (v === null) return;
        const cx = LEFT + (i + 0.5) * slot;
        const cy = TOP + plotH - (v / max) * plotH;
        const next = s.values[i + 1];
        if (next !== null && next !== undefined) {
          svg.append(node('line', { x1: cx, y1: cy, x2: cx + slot, y2: TOP + plotH - (next / max) * plotH, stroke: s.color, 'stroke-width': 2 }));
        }
        const dot = node('circle', { cx, cy, r: 2.5, fill: s.color });
        dot.append(node('title', {}, `${hhmm(starts[i])} ${s.label}: ${v}${unit}`));
        svg.append(dot);
      });
    }
  }

  window.GatehouseCharts = { bars, lines };
})();
