// charts.js: small SVG charts drawn by hand (no chart library): the search histogram with
// drag-to-zoom, bar charts for `| stats` / `| top`, line charts and stacked bars for `| timechart`.
import { svg, el, clear, fmtInt, visibleText } from './dom.js';

const PALETTE = 8; // series colours are CSS classes s0..s7

// The value axis of a chart: ticks from 0 to max at a round step, about `count` of them. Counts
// are integers: their step is a whole number (1, 2, 5, 10, 20, 25, 50, ...), never 0.5.
export function niceScale(v, integer = true, count = 4) {
  const top = Math.max(v, integer ? 1 : Number.MIN_VALUE);
  const raw = top / count;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  let step = 10 * p;
  for (const m of [1, 2, 2.5, 5]) {
    if (m * p >= raw && (!integer || Number.isInteger(m * p))) { step = m * p; break; }
  }
  if (integer) step = Math.max(1, Math.round(step));
  const max = Math.max(step, Math.ceil(top / step - 1e-9) * step);
  const ticks = [];
  for (let t = 0; t <= max + step / 2; t += step) ticks.push(t);
  return { max, step, ticks };
}

function allIntegers(values) {
  for (const v of values) if (!Number.isInteger(v)) return false;
  return true;
}

function shortNum(n) {
  if (n >= 1e9) return (n / 1e9).toFixed(n >= 1e10 ? 0 : 1) + 'G';
  if (n >= 1e6) return (n / 1e6).toFixed(n >= 1e7 ? 0 : 1) + 'M';
  if (n >= 1e4) return (n / 1e3).toFixed(0) + 'k';
  return String(Math.round(n * 100) / 100);
}

// A span in ms as a person says it: "5 min", "1 h", "7 days".
export function spanLabel(ms) {
  if (ms % 86400e3 === 0) return ms === 86400e3 ? 'day' : `${ms / 86400e3} days`;
  if (ms % 3600e3 === 0) return ms === 3600e3 ? 'hour' : `${ms / 3600e3} h`;
  if (ms % 60e3 === 0) return ms === 60e3 ? 'minute' : `${ms / 60e3} min`;
  return `${ms / 1e3} s`;
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
  const { max, ticks: vticks } = niceScale(Math.max(...buckets.map((b) => Number(b.count) || 0)), true, 2);
  const x = (t) => padL + ((t - t0) / span) * plotW;
  const y = (v) => padT + plotH - (v / max) * plotH;

  // grid and axes: whole numbers of events
  for (const v of vticks) {
    const yy = y(v);
    root.appendChild(svg('line', { class: 'grid', x1: padL, x2: W - padR, y1: yy, y2: yy }));
    root.appendChild(svg('text', { class: 'axis', x: padL - 4, y: yy + 3, 'text-anchor': 'end' }, shortNum(v)));
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

// Horizontal bars: one per row; value = the `count` column when there is one (`top`, `stats
// count()`), else the last numeric column; label = the other columns but `percent` (a `top` of
// destination.port labels each bar with its port, not with its share).
// opts.height: fill that height (rows grow up to 28 px); the value column's name is the axis title.
export function drawBarChart(container, table, opts = {}) {
  clear(container);
  const nums = numericColumns(table).filter((j) => table.columns[j] !== 'percent' || numericColumns(table).length === 1);
  if (!nums.length || !table.rows.length) return null;
  const vj = table.columns.includes('count') && nums.includes(table.columns.indexOf('count')) ? table.columns.indexOf('count') : nums[nums.length - 1];
  const labelCols = table.columns.map((_, j) => j).filter((j) => j !== vj && table.columns[j] !== 'percent');
  const rows = table.rows.slice(0, 50);
  const W = width(container);
  const padT = 20, labelW = Math.min(320, Math.floor(W * 0.38)), padR = 70;
  const rowH = Math.max(18, Math.min(28, Math.floor(((opts.height || 0) - padT - 4) / rows.length)));
  const H = padT + rows.length * rowH + 4;
  const max = niceScale(Math.max(0, ...rows.map((r) => (isNum(r[vj]) ? r[vj] : 0))), false).max;
  const root = svg('svg', { class: 'chart bars-h', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'bar chart' });
  const labelHead = labelCols.map((j) => table.columns[j]).join(' · ');
  if (labelHead) root.appendChild(svg('text', { class: 'axis title', x: labelW, y: 12, 'text-anchor': 'end' }, labelHead));
  root.appendChild(svg('text', { class: 'axis title', x: labelW + 6, y: 12 }, `${table.columns[vj]}${table.rows.length > rows.length ? ` (first ${rows.length} rows)` : ''}`));
  const plotW = W - labelW - padR - 6;
  rows.forEach((r, i) => {
    const yy = padT + i * rowH;
    const label = labelCols.length ? labelCols.map((j) => (r[j] === null ? '∅' : visibleText(r[j]))).join(' · ') : `#${i + 1}`;
    const fit = Math.max(8, Math.floor(labelW / 6.7));  // 11 px monospace: ~6.7 px a character
    const cut = label.length > fit ? label.slice(0, fit - 1) + '…' : label;
    const mid = yy + Math.round(rowH / 2) + 4;
    const t = svg('text', { class: 'label', x: labelW, y: mid, 'text-anchor': 'end' }, cut);
    t.appendChild(svg('title', null, label));
    root.appendChild(t);
    const v = isNum(r[vj]) ? r[vj] : 0;
    const w = Math.max(v > 0 ? 1 : 0, (v / max) * plotW);
    const bar = svg('rect', { class: 'bar', x: labelW + 6, y: yy + 3, width: w, height: rowH - 5 });
    bar.appendChild(svg('title', null, `${label}: ${fmtInt(v)}`));
    root.appendChild(bar);
    root.appendChild(svg('text', { class: 'value', x: labelW + 10 + w, y: mid }, fmtInt(v)));
  });
  container.appendChild(root);
  return root;
}

// The series of a timechart table (_time, [by], agg... in long format): one per `by` value or per
// aggregate column, the top PALETTE by total; null when the table is not one.
// opts.spanMs with opts.from/opts.to (ms): every bucket of the range is drawn, those without a row
// as 0 (a count missing from a timechart is no events, not a gap to draw a line across).
function timeSeries(table, opts = {}) {
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
  const span = opts.spanMs;
  if (span > 0 && isFinite(opts.from) && isFinite(opts.to) && (opts.to - opts.from) / span <= 2000) {
    for (let t = Math.floor(opts.from / span) * span; t < opts.to; t += span) times.add(t);
  }
  const ts = [...times].sort((a, b) => a - b);
  if (!ts.length) return null;
  let names = [...series.keys()];
  const total = (n) => [...series.get(n).values()].reduce((a, b) => a + b, 0);
  names.sort((a, b) => total(b) - total(a));
  const hidden = names.length - PALETTE;
  names = names.slice(0, PALETTE);
  const integer = allIntegers(names.flatMap((n) => [...series.get(n).values()]));
  return { ts, names, series, hidden, integer };
}

const TIME_H = 220, TIME_PAD = { l: 58, r: 10, t: 10, b: 20 };

// The height of a time chart: opts.height (a dashboard panel's room) less its legend's, or 220 px.
function timeHeight(opts, legend) {
  return opts.height ? Math.max(100, Math.floor(opts.height - (legend?.offsetHeight || 0))) : TIME_H;
}

// The frame of a time chart: an svg with horizontal grid lines at the scale's ticks and their
// values, the value axis' title (opts.yLabel, e.g. "events per hour") and time labels at `ticks`
// ([time, x] pairs). Returns the svg and the value-to-y mapping.
function timeFrame(W, H, scale, cls, label, ticks, span, yLabel) {
  const plotH = H - TIME_PAD.t - TIME_PAD.b;
  const y = (v) => TIME_PAD.t + plotH - (v / scale.max) * plotH;
  const root = svg('svg', { class: `chart ${cls}`, width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label });
  for (const v of scale.ticks) {
    root.appendChild(svg('line', { class: 'grid', x1: TIME_PAD.l, x2: W - TIME_PAD.r, y1: y(v), y2: y(v) }));
    root.appendChild(svg('text', { class: 'axis', x: TIME_PAD.l - 4, y: y(v) + 3, 'text-anchor': 'end' }, shortNum(v)));
  }
  if (yLabel) {
    const cy = TIME_PAD.t + plotH / 2;
    root.appendChild(svg('text', { class: 'axis title', x: 11, y: cy, 'text-anchor': 'middle', transform: `rotate(-90 11 ${cy})` }, yLabel));
  }
  ticks.forEach(([t, xx], i) => {
    root.appendChild(svg('text', { class: 'axis', x: xx, y: H - 5, 'text-anchor': i === 0 ? 'start' : i === ticks.length - 1 ? 'end' : 'middle' }, timeLabel(t, span)));
  });
  return { root, y };
}

// The value axis' title: opts.yLabel, else the aggregate's name per bucket ("count per hour").
function yLabelOf(table, opts) {
  if (opts.yLabel) return opts.yLabel;
  const agg = table.columns.find((c, j) => j > 0 && numericColumns(table).includes(j)) || '';
  const what = agg === 'count' ? 'events' : agg;
  return opts.spanMs ? `${what} per ${spanLabel(opts.spanMs)}` : what;
}

function legendOf(names, hidden) {
  return el('div', { class: 'legend' },
    names.map((n, k) => el('span', { class: 'legend-item' }, el('span', { class: `swatch s${k}` }), n)),
    hidden > 0 ? el('span', { class: 'muted' }, `+${hidden} more series not drawn`) : null);
}

// Lines for a timechart table: one series per `by` value (top 8 by total) or per aggregate column.
// opts: {spanMs, from, to} (fill the range's empty buckets with 0), height, yLabel.
export function drawLineChart(container, table, opts = {}) {
  clear(container);
  const s = timeSeries(table, opts);
  if (!s) return null;
  const { ts, names, series, hidden, integer } = s;
  const legend = legendOf(names, hidden);
  container.append(legend);  // first, so that its height is known: the chart takes the rest
  const W = width(container), H = timeHeight(opts, legend);
  const plotW = W - TIME_PAD.l - TIME_PAD.r;
  const tmin = ts[0], tmax = ts[ts.length - 1];
  const span = Math.max(1, tmax - tmin);
  let top = 0;
  for (const n of names) for (const v of series.get(n).values()) top = Math.max(top, v);
  const scale = niceScale(top, integer);
  const x = (t) => TIME_PAD.l + (ts.length === 1 ? plotW / 2 : ((t - tmin) / span) * plotW);
  const nticks = Math.max(2, Math.min(8, Math.floor(plotW / 110)));
  const ticks = [];
  for (let i = 0; i <= nticks; i++) ticks.push([tmin + (span * i) / nticks, x(tmin + (span * i) / nticks)]);
  const { root, y } = timeFrame(W, H, scale, 'lines', 'line chart', ticks, span, yLabelOf(table, opts));
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
  container.insertBefore(root, legend);
  return root;
}

// Stacked bars for a timechart table (issue 25, a dashboard panel's "stacked" option): one bar per
// time bucket, one segment per series, the series as drawLineChart chooses them.
export function drawStackedBars(container, table, opts = {}) {
  clear(container);
  const s = timeSeries(table, opts);
  if (!s) return null;
  const { ts, names, series, hidden, integer } = s;
  const legend = legendOf(names, hidden);
  container.append(legend);
  const W = width(container), H = timeHeight(opts, legend);
  const plotW = W - TIME_PAD.l - TIME_PAD.r;
  const slot = plotW / ts.length;
  const totals = ts.map((t) => names.reduce((a, n) => a + (series.get(n).get(t) || 0), 0));
  const scale = niceScale(Math.max(0, ...totals), integer);
  const x = (i) => TIME_PAD.l + i * slot;
  const every = Math.max(1, Math.ceil(ts.length / Math.max(2, Math.floor(plotW / 110))));
  const ticks = ts.map((t, i) => [t, x(i) + slot / 2]).filter((_, i) => i % every === 0);
  const span = Math.max(1, ts[ts.length - 1] - ts[0]);
  const { root, y } = timeFrame(W, H, scale, 'stacked', 'stacked bar chart', ticks, span, yLabelOf(table, opts));
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
  container.insertBefore(root, legend);
  return root;
}
