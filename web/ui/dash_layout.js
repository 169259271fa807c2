// dash_layout.js: where a dashboard's panels sit on its 12-column grid (issue 25), and the edit
// mode's layout: each panel a box dragged by its title bar to move it and by its corner to resize
// it, or moved with the arrow keys (Shift+arrows resize) once focused; its title edited in place.
// Pure geometry (settle) plus one DOM builder; panel titles are shown in inputs (text, never HTML).
import { el } from './dom.js';

export const COLUMNS = 12;
const MAX_H = 12;
const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));

function size(p) {
  return { w: clamp(Math.round(Number(p.w) || 6), 1, COLUMNS), h: clamp(Math.round(Number(p.h) || 4), 1, MAX_H) };
}

function overlaps(a, b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

// The places of `panels` ({x,y,w,h} per index): those with a position keep their column and the
// row they ask for, pushed down past the ones above them and then up into any free room (no
// overlaps, no holes left by a move); those without one (new panels) take the first free place,
// rows read top to bottom, left to right. A y of 2.5 (a move in progress) sorts between rows 2 and
// 3: the panel goes before the one at row 3 and after the one at row 2.
export function settle(panels) {
  const out = new Array(panels.length);
  const placed = [];
  const free = (r) => !placed.some((q) => overlaps(q, r));
  const order = panels.map((p, i) => i).filter((i) => Number.isInteger(panels[i].x) && Number.isFinite(panels[i].y));
  order.sort((a, b) => panels[a].y - panels[b].y || panels[a].x - panels[b].x || a - b);
  for (const i of order) {
    const { w, h } = size(panels[i]);
    const r = { x: clamp(panels[i].x, 0, COLUMNS - w), y: Math.max(0, Math.floor(panels[i].y)), w, h };
    while (!free(r)) r.y++;
    while (r.y > 0 && free({ ...r, y: r.y - 1 })) r.y--;
    placed.push(r);
    out[i] = r;
  }
  panels.forEach((p, i) => {
    if (out[i]) return;
    const { w, h } = size(p);
    for (let y = 0; !out[i]; y++) {
      for (let x = 0; x + w <= COLUMNS && !out[i]; x++) if (free({ x, y, w, h })) out[i] = { x, y, w, h };
    }
    placed.push(out[i]);
  });
  return out;
}

// Puts a grid item at its place (CSS grid lines count from 1).
export function placePanel(node, r) {
  node.style.gridColumn = `${r.x + 1} / span ${r.w}`;
  node.style.gridRow = `${r.y + 1} / span ${r.h}`;
}

// The edit mode's layout of `panels` (changed in place: x, y, w, h, title). hooks.onRetitle(i,
// title) and hooks.onResize(i, panel) keep the form below in step.
export function layoutEditor(panels, hooks = {}) {
  const grid = el('div', { class: 'dash-layout', id: 'dash-layout', role: 'list', 'aria-label': 'panel layout' });
  const commit = (focusIndex) => {
    settle(panels).forEach((r, i) => Object.assign(panels[i], r));
    draw();
    if (focusIndex !== undefined) grid.querySelector(`.dash-layout-box[data-index="${focusIndex}"]`)?.focus();
  };
  const draw = () => {
    grid.replaceChildren(...panels.map((p, i) => layoutBox(grid, panels, i, hooks, commit)));
    panels.forEach((p, i) => hooks.onResize?.(i, p));
  };
  commit();
  return grid;
}

function layoutBox(grid, panels, i, hooks, commit) {
  const p = panels[i];
  const title = el('input', { type: 'text', class: 'dl-title', value: p.title ?? '', 'aria-label': `panel ${i + 1} title`, spellcheck: 'false' });
  title.addEventListener('input', () => { p.title = title.value; hooks.onRetitle?.(i, title.value); });
  title.addEventListener('keydown', (e) => e.stopPropagation());  // arrows move the caret, not the box
  const grip = el('div', { class: 'dl-grip', title: 'drag to move' }, el('span', { class: 'dl-handle', 'aria-hidden': 'true' }, '⠿'), title);
  const corner = el('span', { class: 'dl-resize', title: 'drag to resize', 'aria-hidden': 'true' });
  const info = el('div', { class: 'dl-info muted small' }, `${p.type} · ${p.w}×${p.h}`);
  const box = el('div', { class: 'dash-layout-box', tabindex: '0', role: 'listitem', 'data-index': i,
    'aria-label': `${p.title || 'panel'}: column ${p.x + 1}, row ${p.y + 1}, ${p.w} wide, ${p.h} high` }, grip, info, corner);
  placePanel(box, p);
  grip.addEventListener('pointerdown', (e) => { if (e.target !== title) startDrag(grid, box, p, 'move', e, commit, i); });
  corner.addEventListener('pointerdown', (e) => startDrag(grid, box, p, 'resize', e, commit, i));
  box.addEventListener('keydown', (e) => {
    const d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[e.key];
    if (!d) return;
    e.preventDefault();
    if (e.shiftKey) {
      p.w = clamp(p.w + d[0], 1, COLUMNS - p.x);
      p.h = clamp(p.h + d[1], 1, MAX_H);
    } else {
      p.x = clamp(p.x + d[0], 0, COLUMNS - p.w);
      if (d[1]) p.y = pastNeighbour(panels, p, d[1]);
    }
    commit(i);
  });
  return box;
}

// Up or down past the nearest panel above or below in the same columns (free room is filled by
// settle anyway): its row less or plus a half, so that settle puts `p` before or after it.
function pastNeighbour(panels, p, dir) {
  let best = null;
  for (const q of panels) {
    if (q === p || !(q.x < p.x + p.w && p.x < q.x + q.w)) continue;
    if (dir > 0 && q.y > p.y && (best === null || q.y < best)) best = q.y;
    if (dir < 0 && q.y < p.y && (best === null || q.y > best)) best = q.y;
  }
  return best === null ? Math.max(0, p.y + dir) : best + dir / 2;
}

// Follows the pointer in whole cells: moves (x, y) or resizes (w, h) the box, settles on release.
function startDrag(grid, box, p, mode, ev, commit, i) {
  if (ev.button !== 0) return;
  ev.preventDefault();
  const cs = getComputedStyle(grid);
  const gap = parseFloat(cs.columnGap) || 0;
  const inner = grid.clientWidth - (parseFloat(cs.paddingLeft) || 0) - (parseFloat(cs.paddingRight) || 0);
  const cellW = (inner - gap * (COLUMNS - 1)) / COLUMNS + gap;
  const cellH = (parseFloat(cs.gridAutoRows) || 24) + (parseFloat(cs.rowGap) || 0);
  const start = { x: ev.clientX, y: ev.clientY, px: p.x, py: p.y, pw: p.w, ph: p.h };
  box.classList.add('dragging');
  box.setPointerCapture?.(ev.pointerId);
  const move = (e) => {
    const dx = Math.round((e.clientX - start.x) / cellW), dy = Math.round((e.clientY - start.y) / cellH);
    if (mode === 'move') {
      p.x = clamp(start.px + dx, 0, COLUMNS - p.w);
      p.y = Math.max(0, start.py + dy);
    } else {
      p.w = clamp(start.pw + dx, 1, COLUMNS - p.x);
      p.h = clamp(start.ph + dy, 1, MAX_H);
    }
    placePanel(box, p);
  };
  const up = () => {
    // Dropped on another panel's row: before it when moved up, after it when moved down.
    if (mode === 'move' && p.y !== start.py) p.y += p.y < start.py ? -0.5 : 0.5;
    box.removeEventListener('pointermove', move);
    box.removeEventListener('pointerup', up);
    box.removeEventListener('pointercancel', up);
    commit(i);
  };
  box.addEventListener('pointermove', move);
  box.addEventListener('pointerup', up);
  box.addEventListener('pointercancel', up);
}
