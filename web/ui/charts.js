// charts.js: small SVG charts drawn by hand (no chart library): the search histogram with
// drag-to-zoom, bar charts for `| stats` / `| top`, line charts and stacked bars for `| timechart`.
import { svg, el, clear, fmtInt, visibleText } from './dom.js';

const PALETTE = 8; // series colours are CSS classes s0..s7

function niceMax(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function shortNum(n) {
  if (n >= 1e9) return (n / 1e9).toFixed(n >= 1e10 ? 0 : 1) + 'G';
  if (n >= 1e6) return (n / 1e6).toFixed(n >= 1e7 ? 0 : 1) + 'M';
  if (n >= 1e4) return (n / 1e3).toFixed(0) + 'k';
  return String(Math.round(n * 100) / 100);
}

// Label for a time tick in UTC, precision chosen from the span.
function timeLabel(ms, spanMs) {
  const iso = new Date(ms).toISOString();
  if (spanMs <= 2 * 3600e3) return iso.slice(11, 19);
  if (spanMs <= 2 * 86400e3) return iso.slice(11, 16);
  if (spanMs <= 60 * 86400e3) return iso.slice(5, 10) + ' ' + iso.slice(11, 16);
  return iso.slice(0, 10);
}

// The drawable width of a container (its content box).
function width(container) {
  const cs = getComputedStyle(container);
  const pad = (parseFloat(cs.paddingLeft) || 0) + (parseFloat(cs.paddingRight) || 0);
  const w = (container.clientWidth || container.getBoundingClientRect().width || 800) - pad;
  return Math.max(300, Math.floor(w));
}

// Histogram of {from, to, interval_ms, buckets:[{time,count}]}. onZoom(fromIso, toIso) after a
// drag (or a click on one bar).
export function drawHistogram(container, data, onZoom) {
  clear(container);
  const buckets = Array.isArray(data?.buckets) ? data.buckets : [];
  const W = width(container);
  const H = 92;
  const padL = 44, padR = 8, padT = 6, padB = 18;
  const plotW = W - padL - padR, plotH = H - padT - padB;
  const root = svg('svg', { class: 'chart histogram', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'matches over time' });
  container.appendChild(root);
  if (!buckets.length) return root;
  const times = buckets.map((b) => Date.parse(b.time));
  const interval = Number(data.interval_ms) || (times.length > 1 ? times[1] - times[0] : 60000);
  const t0 = times[0];
  const t1 = Date.parse(data.to) || times[times.length - 1] + interval;
  const span = Math.max(1, t1 - t0);
  const max = niceMax(Math.max(...buckets.map((b) => Number(b.count) || 0)));
  const x = (t) => padL + ((t - t0) / span) * plotW;
  const y = (v) => padT + plotH - (v / max) * plotH;

  // grid and axes
  for (const f of [0, 0.5, 1]) {
    const yy = y(max * f);
    root.appendChild(svg('line', { class: 'grid', x1: padL, x2: W - padR, y1: yy, y2: yy }));
    root.appendChild(svg('text', { class: 'axis', x: padL - 4, y: yy + 3, 'text-anchor': 'end' }, shortNum(max * f)));
  }
  const ticks = Math.max(2, Math.min(8, Math.floor(plotW / 110)));
  for (let i = 0; i <= ticks; i++) {
    const t = t0 + (span * i) / ticks;
    const anchor = i === 0 ? 'start' : i === ticks ? 'end' : 'middle';
    root.appendChild(svg('text', { class: 'axis', x: x(t), y: H - 4, 'text-anchor': anchor }, timeLabel(t, span)));
  }
  const bw = Math.max(1, (interval / span) * plotW - (plotW / buckets.length > 4 ? 1 : 0));
  const bars = svg('g', { class: 'bars' });
  buckets.forEach((b, i) => {
    const c = Number(b.count) || 0;
    if (c <= 0) return;
    const bx = x(times[i]);
    const r = svg('rect', { class: 'bar', x: bx, y: y(c), width: bw, height: Math.max(1, padT + plotH - y(c)) });
    const end = new Date(times[i] + interval).toISOString();
    r.appendChild(svg('title', null, `${b.time} – ${end}\n${fmtInt(c)} events`));
    bars.appendChild(r);
  });
  root.appendChild(bars);

  // drag to zoom
  const sel = svg('rect', { class: 'selection', x: 0, y: padT, width: 0, height: plotH, hidden: true });
  root.appendChild(sel);
  const toTime = (px) => t0 + ((Math.min(Math.max(px, padL), W - padR) - padL) / plotW) * span;
  const localX = (ev) => ev.clientX - root.getBoundingClientRect().left;
  let start = null;
  root.addEventListener('mousedown', (ev) => {
    if (ev.button !== 0) return;
    start = localX(ev);
    sel.removeAttribute('hidden');
    sel.setAttribute('x', start);
    sel.setAttribute('width', 0);
    ev.preventDefault();
  });
  root.addEventListener('mousemove', (ev) => {
    if (start === null) return;
    const cur = localX(ev);
    sel.setAttribute('x', Math.min(start, cur));
    sel.setAttribute('width', Math.abs(cur - start));
  });
  const finish = (ev) => {
    if (start === null) return;
    const end = localX(ev);
    const a = Math.min(start, end), b = Math.max(start, end);
    start = null;
    sel.setAttribute('hidden', '');
    let from, to;
    if (b - a < 3) {
      // a click: zoom into the bucket under the pointer
      const t = toTime(a);
      const i = Math.max(0, Math.min(buckets.length - 1, Math.floor((t - t0) / interval)));
      from = times[i];
      to = times[i] + interval;
    } else {
      from = toTime(a);
      to = toTime(b);
    }
    if (to - from >= 1) onZoom(new Date(Math.floor(from)).toISOString(), new Date(Math.ceil(to)).toISOString());
  };
  root.addEventListener('mouseup', finish);
  root.addEventListener('mouseleave', () => { if (start !== null) { start = null; sel.setAttribute('hidden', ''); } });
  return root;
}

function isNum(v) { return typeof v === 'number' && isFinite(v); }

// Which columns of a table hold numbers (every non-null cell a number).
export function numericColumns(table) {
  const out = [];
  table.columns.forEach((c, j) => {
    let any = false, all = true;
    for (const r of table.rows) {
      const v = r[j];
      if (v === null || v === undefined) continue;
      any = true;
      if (!isNum(v)) { all = false; break; }
    }
    if (any && all) out.push(j);
  });
  return out;
}

// Horizontal bars: one per row, label = the non-numeric columns, value = the first numeric
// column (skipping `percent` when `count` is there).
export function drawBarChart(container, table) {
  clear(container);
  const nums = numericColumns(table).filter((j) => table.columns[j] !== 'percent' || numericColumns(table).length === 1);
  if (!nums.length || !table.rows.length) return null;
  const vj = nums[0];
  const labelCols = table.columns.map((_, j) => j).filter((j) => !nums.includes(j));
  const rows = table.rows.slice(0, 50);
  const W = width(container);
  const rowH = 18, padT = 20, labelW = Math.min(320, Math.floor(W * 0.35)), padR = 70;
  const H = padT + rows.length * rowH + 4;
  const max = niceMax(Math.max(0, ...rows.map((r) => (isNum(r[vj]) ? r[vj] : 0))));
  const root = svg('svg', { class: 'chart bars-h', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'bar chart' });
  root.appendChild(svg('text', { class: 'axis title', x: labelW + 6, y: 12 }, `${table.columns[vj]}${table.rows.length > rows.length ? ` (first ${rows.length} rows)` : ''}`));
  const plotW = W - labelW - padR - 6;
  rows.forEach((r, i) => {
    const yy = padT + i * rowH;
    const label = labelCols.length ? labelCols.map((j) => (r[j] === null ? '∅' : visibleText(r[j]))).join(' · ') : `#${i + 1}`;
    const cut = label.length > 48 ? label.slice(0, 47) + '…' : label;
    const t = svg('text', { class: 'label', x: labelW, y: yy + 13, 'text-anchor': 'end' }, cut);
    t.appendChild(svg('title', null, label));
    root.appendChild(t);
    const v = isNum(r[vj]) ? r[vj] : 0;
    const w = Math.max(v > 0 ? 1 : 0, (v / max) * plotW);
    const bar = svg('rect', { class: 'bar', x: labelW + 6, y: yy + 3, width: w, height: rowH - 5 });
    bar.appendChild(svg('title', null, `${label}: ${fmtInt(v)}`));
    root.appendChild(bar);
    root.appendChild(svg('text', { class: 'value', x: labelW + 10 + w, y: yy + 13 }, fmtInt(v)));
  });
  container.appendChild(root);
  return root;
}

// The series of a timechart table (_time, [by], agg... in long format): one per `by` value or per
// aggregate column, the top PALETTE by total; null when the table is not one.
function timeSeries(table) {
  const ti = table.columns.indexOf('_time');
  if (ti < 0 || !table.rows.length) return null;
  const nums = numericColumns(table).filter((j) => j !== ti);
  if (!nums.length) return null;
  const byCols = table.columns.map((_, j) => j).filter((j) => j !== ti && !nums.includes(j));
  const series = new Map(); // name -> Map(time -> value)
  const times = new Set();
  for (const r of table.rows) {
    const t = typeof r[ti] === 'number' ? r[ti] : Date.parse(r[ti]);
    if (!isFinite(t)) continue;
    times.add(t);
    for (const vj of byCols.length ? [nums[0]] : nums) {
      const name = byCols.length ? byCols.map((j) => (r[j] === null ? '∅' : visibleText(r[j]))).join(' · ') : table.columns[vj];
      if (!series.has(name)) series.set(name, new Map());
      const m = series.get(name);
      m.set(t, (m.get(t) || 0) + (isNum(r[vj]) ? r[vj] : 0));
    }
  }
  const ts = [...times].sort((a, b) => a - b);
  if (!ts.length) return null;
  let names = [...series.keys()];
  const total = (n) => [...series.get(n).values()].reduce((a, b) => a + b, 0);
  names.sort((a, b) => total(b) - total(a));
  const hidden = names.length - PALETTE;
  names = names.slice(0, PALETTE);
  return { ts, names, series, hidden };
}

const TIME_H = 220, TIME_PAD = { l: 48, r: 10, t: 10, b: 20 };

// The frame of a time chart: an svg with horizontal grid lines and their values up to `max`, and
// time labels at `ticks` ([time, x] pairs). Returns the svg and the value-to-y mapping.
function timeFrame(W, max, cls, label, ticks, span) {
  const plotH = TIME_H - TIME_PAD.t - TIME_PAD.b;
  const y = (v) => TIME_PAD.t + plotH - (v / max) * plotH;
  const root = svg('svg', { class: `chart ${cls}`, width: W, height: TIME_H, viewBox: `0 0 ${W} ${TIME_H}`, role: 'img', 'aria-label': label });
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    root.appendChild(svg('line', { class: 'grid', x1: TIME_PAD.l, x2: W - TIME_PAD.r, y1: y(max * f), y2: y(max * f) }));
    root.appendChild(svg('text', { class: 'axis', x: TIME_PAD.l - 4, y: y(max * f) + 3, 'text-anchor': 'end' }, shortNum(max * f)));
  }
  ticks.forEach(([t, xx], i) => {
    root.appendChild(svg('text', { class: 'axis', x: xx, y: TIME_H - 5, 'text-anchor': i === 0 ? 'start' : i === ticks.length - 1 ? 'end' : 'middle' }, timeLabel(t, span)));
  });
  return { root, y };
}

function legendOf(names, hidden) {
  return el('div', { class: 'legend' },
    names.map((n, k) => el('span', { class: 'legend-item' }, el('span', { class: `swatch s${k}` }), n)),
    hidden > 0 ? el('span', { class: 'muted' }, `+${hidden} more series not drawn`) : null);
}

// Lines for a timechart table: one series per `by` value (top 8 by total) or per aggregate column.
export function drawLineChart(container, table) {
  clear(container);
  const s = timeSeries(table);
  if (!s) return null;
  const { ts, names, series, hidden } = s;
  const W = width(container);
  const plotW = W - TIME_PAD.l - TIME_PAD.r;
  const tmin = ts[0], tmax = ts[ts.length - 1];
  const span = Math.max(1, tmax - tmin);
  let max = 0;
  for (const n of names) for (const v of series.get(n).values()) max = Math.max(max, v);
  max = niceMax(max);
  const x = (t) => TIME_PAD.l + (ts.length === 1 ? plotW / 2 : ((t - tmin) / span) * plotW);
  const nticks = Math.max(2, Math.min(8, Math.floor(plotW / 110)));
  const ticks = [];
  for (let i = 0; i <= nticks; i++) ticks.push([tmin + (span * i) / nticks, x(tmin + (span * i) / nticks)]);
  const { root, y } = timeFrame(W, max, 'lines', 'line chart', ticks, span);
  names.forEach((n, k) => {
    const m = series.get(n);
    const pts = ts.map((t) => `${x(t).toFixed(1)},${y(m.get(t) || 0).toFixed(1)}`).join(' ');
    const line = svg('polyline', { class: `line s${k}`, points: pts });
    line.appendChild(svg('title', null, n));
    root.appendChild(line);
    if (ts.length <= 60) {
      for (const t of ts) {
        const c = svg('circle', { class: `dot s${k}`, cx: x(t), cy: y(m.get(t) || 0), r: 2.5 });
        c.appendChild(svg('title', null, `${n}\n${new Date(t).toISOString()}: ${fmtInt(m.get(t) || 0)}`));
        root.appendChild(c);
      }
    }
  });
  container.append(root, legendOf(names, hidden));
  return root;
}

// Stacked bars for a timechart table (issue 25, a dashboard panel's "stacked" option): one bar per
// time bucket, one segment per series, the series as drawLineChart chooses them.
export function drawStackedBars(container, table) {
  clear(container);
  const s = timeSeries(table);
  if (!s) return null;
  const { ts, names, series, hidden } = s;
  const W = width(container);
  const plotW = W - TIME_PAD.l - TIME_PAD.r;
  const slot = plotW / ts.length;
  const totals = ts.map((t) => names.reduce((a, n) => a + (series.get(n).get(t) || 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const x = (i) => TIME_PAD.l + i * slot;
  const every = Math.max(1, Math.ceil(ts.length / Math.max(2, Math.floor(plotW / 110))));
  const ticks = ts.map((t, i) => [t, x(i) + slot / 2]).filter((_, i) => i % every === 0);
  const span = Math.max(1, ts[ts.length - 1] - ts[0]);
  const { root, y } = timeFrame(W, max, 'stacked', 'stacked bar chart', ticks, span);
  ts.forEach((t, i) => {
    let base = 0;
    names.forEach((n, k) => {
      const v = series.get(n).get(t) || 0;
      if (v <= 0) return;
      const r = svg('rect', { class: `stack s${k}`, x: x(i) + slot * 0.1, y: y(base + v), width: Math.max(1, slot * 0.8), height: Math.max(0.5, y(base) - y(base + v)) });
      r.appendChild(svg('title', null, `${n}\n${new Date(t).toISOString()}: ${fmtInt(v)}`));
      root.appendChild(r);
      base += v;
    });
  });
  container.append(root, legendOf(names, hidden));
  return root;
}
