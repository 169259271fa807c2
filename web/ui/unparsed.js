// unparsed.js: the Unparsed page (issue 23, /api/v1/unparsed, docs/parsers.md): which sources send
// lines no parser understood (stored as syslog.generic / syslog.raw), grouped by source and by the
// shape of the line, with samples; and a parser builder: a starting declarative definition proposed
// from a sample, edited here and tried on the samples of its shape (POST /api/v1/unparsed/test,
// the same engine as `kamatama parsers test`), then saved by an administrator (POST
// /api/v1/unparsed/save: stored in the data directory and active at once). Samples are attacker text: shown through
// valueView/textContent only, and sent back to the server as JSON strings.
import { el, replace, valueView, fmtInt } from './dom.js';
import { api } from './api.js';

const RANGES = [['-24h', 'last 24 hours'], ['-7d', 'last 7 days'], ['-30d', 'last 30 days'], ['', 'all time']];

export class UnparsedPage {
  constructor(app) {
    this.app = app;
    this.range = el('select', { id: 'unparsed-range', 'aria-label': 'time range' },
      RANGES.map(([v, label]) => el('option', { value: v }, label)));
    this.range.addEventListener('change', () => this.load());
    const refresh = el('button', { type: 'button', id: 'unparsed-refresh' }, 'Refresh');
    refresh.addEventListener('click', () => this.load());
    this.status = el('div', { class: 'status', role: 'status', id: 'unparsed-status' });
    this.sources = el('div', { class: 'unparsed-sources', id: 'unparsed-sources' });
    this.shapes = el('div', { class: 'unparsed-shapes', id: 'unparsed-shapes' });
    this.builder = el('div', { class: 'unparsed-builder', id: 'unparsed-builder' });
    this.root = el('div', { class: 'page unparsed-page' },
      el('div', { class: 'toolbar' }, el('h2', null, 'Unparsed lines'), this.range, refresh, el('span', { class: 'grow' })),
      el('p', { class: 'hint' }, 'Lines no parser understood: searchable text, but no addresses, users or actions. ',
        'Build a parser for a shape, try it on its samples, then save it (administrators): it parses the next lines, no restart needed.'),
      this.status, this.builder, this.sources, this.shapes);
  }

  leave() {}
  focusQuery() { this.range.focus(); }
  redraw() {}

  async show() { await this.load(); }

  async load() {
    replace(this.status, 'Loading…');
    const params = this.range.value ? { from: this.range.value } : {};
    try {
      this.data = await api.unparsed(params);
    } catch (e) {
      replace(this.status, el('span', { class: 'error' }, `Unparsed lines: ${e.message}`));
      return;
    }
    const d = this.data;
    replace(this.status, d.matched === 0 && d.scanned === 0 ? 'Every stored line was understood by a parser.'
      : `${fmtInt(d.matched || d.scanned)} unparsed lines; the newest ${fmtInt(d.scanned)} grouped below.`);
    this.renderSources(d.sources || []);
    this.renderShapes(d.shapes || []);
  }

  renderSources(sources) {
    const rows = sources.map((s) => el('tr', null,
      el('td', null, valueView(s.host || '(none)', 200)), el('td', null, valueView(s.program || '(none)', 200)),
      el('td', { class: 'num' }, fmtInt(s.count))));
    replace(this.sources, sources.length ? el('table', { class: 'saved-table', id: 'unparsed-sources-table' },
      el('thead', null, el('tr', null, el('th', null, 'host'), el('th', null, 'program'), el('th', null, 'lines'))),
      el('tbody', null, rows)) : '');
  }

  renderShapes(shapes) {
    const items = shapes.map((s, i) => {
      const build = el('button', { type: 'button', class: 'build-parser', 'data-shape': String(i) }, 'Build a parser');
      build.addEventListener('click', () => this.openBuilder(s));
      return el('div', { class: 'unparsed-shape' },
        el('div', { class: 'shape-head' }, el('b', null, fmtInt(s.count)), ' × ',
          valueView(s.host || '(no host)', 200), ' ', valueView(s.program || '(no program)', 200), ' ', build),
        el('div', { class: 'shape-text' }, valueView(s.shape, 500)),
        el('ul', { class: 'samples' }, (s.samples || []).map((line) => el('li', { class: 'sample' }, valueView(line, 2000)))));
    });
    replace(this.shapes, items);
  }

  async openBuilder(shape) {
    const samples = (shape.samples || []).map(String);
    this.def = el('textarea', { id: 'builder-definition', class: 'builder-def', spellcheck: 'false', 'aria-label': 'definition' });
    this.lines = el('textarea', { id: 'builder-lines', class: 'builder-lines', spellcheck: 'false', 'aria-label': 'sample lines' });
    this.lines.value = samples.join('\n');
    this.result = el('div', { id: 'builder-result', role: 'status' });
    const test = el('button', { type: 'button', id: 'builder-test' }, 'Test');
    test.addEventListener('click', () => this.test());
    const save = el('button', { type: 'button', id: 'builder-save' }, 'Save and activate');
    save.addEventListener('click', () => this.save());
    this.saved = el('div', { id: 'builder-saved', role: 'status' });
    const close = el('button', { type: 'button', class: 'link' }, 'close');
    close.addEventListener('click', () => replace(this.builder));
    replace(this.builder, el('div', { class: 'builder-box' },
      el('div', { class: 'toolbar' }, el('h3', null, 'Parser builder'), el('span', { class: 'grow' }), close),
      el('label', null, 'Definition (YAML, docs/parsers.md)'), this.def,
      el('label', null, 'Lines to try (one per line)'), this.lines,
      el('div', null, test, ' ', save), this.saved, this.result));
    replace(this.result, 'Proposing…');
    try {
      const p = await api.proposeParser(samples[0] || '');
      this.def.value = p.definition || '';
      replace(this.result, 'Edit the definition, then Test.');
    } catch (e) {
      replace(this.result, el('span', { class: 'error' }, e.message));
    }
  }

  // Saves the definition as it stands; the server checks it again (problems, examples) and answers
  // what it did. Problems may quote the definition and so the lines: shown as text.
  async save() {
    replace(this.saved, 'Saving…');
    try {
      const r = await api.saveParser(this.def.value);
      replace(this.saved, el('span', { class: 'ok' }, 'Saved ', valueView(r.saved, 200),
        r.replaces_shipped ? ' (replaces the shipped definition of that name)' : '', `: active now (${fmtInt(r.loaded)} parsers loaded).`));
    } catch (e) {
      const problems = (e.body?.problems || []).map((p) => el('li', { class: 'error problem' }, valueView(p, 500)));
      replace(this.saved, el('span', { class: 'error' }, `Not saved: ${e.message}`), problems.length ? el('ul', null, problems) : '');
    }
  }

  async test() {
    const lines = this.lines.value.split('\n').filter((l) => l.length > 0);
    replace(this.result, 'Testing…');
    let r;
    try {
      r = await api.tryParser(this.def.value, lines);
    } catch (e) {
      replace(this.result, el('span', { class: 'error' }, e.message));
      return;
    }
    const problems = (r.problems || []).map((p) => el('li', { class: 'error problem' }, valueView(p, 500)));
    const results = (r.results || []).map((x, i) => {
      const fields = Object.entries(x.event || {}).filter(([k]) => k !== 'event.original' && k !== 'message' && k !== 'event.ingested');
      return el('div', { class: 'builder-line ' + (x.declarative ? 'taken' : 'not-taken') },
        el('div', null, el('b', null, x.declarative ? `✓ ${x.parser}` : `✗ not taken (${x.parser || 'no parser'})`), ' ',
          valueView(lines[i] || '', 300)),
        el('table', { class: 'saved-table builder-fields' }, el('tbody', null,
          fields.map(([k, v]) => el('tr', null, el('td', null, k), el('td', null, valueView(v, 500)))))));
    });
    replace(this.result,
      el('div', { id: 'builder-summary' }, `${(r.loaded || []).length} loaded, ${problems.length} invalid; ` +
        `${r.results.filter((x) => x.declarative).length} of ${r.results.length} lines taken`),
      problems.length ? el('ul', null, problems) : '', results);
  }
}
