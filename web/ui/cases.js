// cases.js: cases (issue 22, docs/cases.md). The Cases page (?view=cases: the list, a new case),
// a case's page (?view=case&case=ID, its permalink: title, status, owner, description, the pinned
// events, entities and alerts, the notes, the exports) and addToCase(), the "Add to case" control
// of the search detail, the entity pages and the alert detail. Titles, notes and pinned log text
// are shown as text (el()/valueView/appendLines): nothing from a case becomes markup.
import { el, replace, valueView, appendLines, fmtInt, fmtUtc } from './dom.js';
import { api } from './api.js';
import { eventState } from './state.js';
import { entityLink } from './investigate.js';
import { appLink } from './alerts.js';

const str = (v) => (v === null || v === undefined ? '' : String(v));
const arr = (v) => (Array.isArray(v) ? v : []);
const time = (v) => (v ? fmtUtc(str(v)).slice(0, 19) : '—');
const canEdit = (app) => arr(app.me?.permissions).includes('triage');
const canExport = (app) => arr(app.me?.permissions).includes('export');
// A text area of `rows` lines (dom.js allows no 'rows' attribute: it is set as a property).
function textArea(attrs, rows) {
  const t = el('textarea', attrs);
  t.rows = rows;
  return t;
}

// The reference the server needs to find a search result again (case_routes.h).
export function eventRef(ev) {
  const ref = { '@timestamp': str(ev['@timestamp']), 'event.dataset': str(ev['event.dataset']) };
  if (ev['host.name'] !== undefined) ref['host.name'] = str(ev['host.name']);
  if (ev['event.original'] !== undefined) ref['event.original'] = str(ev['event.original']);
  return ref;
}

// "Add to case": a button opening a picker of the open cases (or a new one by title); `body()`
// gives the POST body for /api/v1/cases/ID/<kind>. Nothing for those who may not edit cases.
export function addToCase(app, kind, body, id = 'add-to-case') {
  if (!canEdit(app)) return null;
  const btn = el('button', { type: 'button', class: 'mini add-to-case', id }, 'Add to case…');
  const pick = el('select', { id: `${id}-pick`, 'aria-label': 'case' });
  const title = el('input', { type: 'text', id: `${id}-title`, placeholder: 'new case title', hidden: true });
  const go = el('button', { type: 'button', id: `${id}-go` }, 'Add');
  const msg = el('span', { class: 'muted', id: `${id}-msg`, role: 'status' });
  const box = el('span', { class: 'case-picker', hidden: true }, pick, title, go, msg);
  pick.addEventListener('change', () => { title.hidden = pick.value !== 'new'; });
  btn.addEventListener('click', async () => {
    box.hidden = !box.hidden;
    if (box.hidden) return;
    replace(pick, el('option', { value: 'new' }, 'New case…'));
    title.hidden = false;
    try {
      const res = await api.cases({ status: 'open' });
      for (const c of arr(res.cases)) pick.appendChild(el('option', { value: str(c.id) }, `#${str(c.id)} ${str(c.title).slice(0, 80)}`));
      if (arr(res.cases).length) { pick.value = str(res.cases[0].id); title.hidden = true; }
    } catch (e) { msg.textContent = e.message; }
  });
  go.addEventListener('click', async () => {
    try {
      let caseId = pick.value;
      if (caseId === 'new') caseId = str((await api.createCase({ title: title.value.trim() || 'Untitled case' })).id);
      const res = await api.addToCase(caseId, kind, body());
      replace(msg, res.added === 0 ? 'already in ' : 'added to ', appLink(app, { ...app.state, view: 'case', caseId }, `case #${caseId}`, { class: 'case-link' }));
    } catch (e) { msg.textContent = 'not added: ' + e.message; }
  });
  return el('span', { class: 'add-to-case-box' }, btn, box);
}

// ---- the list --------------------------------------------------------------------------

export class CasesPage {
  constructor(app) {
    this.app = app;
    this.filter = el('select', { id: 'cases-status', 'aria-label': 'status' },
      ['open', 'closed', 'all'].map((s) => el('option', { value: s }, s)));
    this.filter.addEventListener('change', () => app.navigate({ ...app.state, view: 'cases', cstatus: this.filter.value }));
    this.list = el('div', { class: 'sources-table-box', id: 'cases-list' });
    this.status = el('div', { class: 'status', role: 'status', id: 'cases-status-line' });
    this.root = el('div', { class: 'page cases-page' },
      el('div', { class: 'toolbar' }, el('h2', null, 'Cases'), this.filter, el('span', { class: 'grow' })),
      this.newForm(), this.status, this.list);
  }

  newForm() {
    if (!canEdit(this.app)) return null;
    const title = el('input', { type: 'text', id: 'case-new-title', placeholder: 'title of a new case' });
    const desc = textArea({ id: 'case-new-desc', placeholder: 'description (optional)' }, 2);
    const create = el('button', { type: 'button', id: 'case-create' }, 'New case');
    create.addEventListener('click', async () => {
      try {
        const c = await api.createCase({ title: title.value.trim(), description: desc.value });
        this.app.navigate({ ...this.app.state, view: 'case', caseId: str(c.id) });
      } catch (e) { this.status.textContent = 'not created: ' + e.message; }
    });
    return el('div', { class: 'case-new' }, title, desc, create);
  }

  async show(state) {
    this.filter.value = state.cstatus || 'open';
    this.status.textContent = 'Loading…';
    try {
      const res = await api.cases(state.cstatus === 'all' ? {} : { status: state.cstatus || 'open' });
      this.status.textContent = `${fmtInt(Number(res.total) || 0)} case(s)`;
      replace(this.list, this.table(arr(res.cases)));
    } catch (e) { this.status.textContent = 'Cases: ' + e.message; }
  }

  table(cases) {
    const head = el('tr', null, ['#', 'Title', 'Status', 'Owner', 'Events', 'Entities', 'Alerts', 'Notes', 'Updated (UTC)'].map((h) => el('th', null, h)));
    const rows = cases.map((c) => el('tr', { dataset: { case: str(c.id) } },
      el('td', null, str(c.id)),
      el('td', null, appLink(this.app, { ...this.app.state, view: 'case', caseId: str(c.id) }, valueView(str(c.title), 200), { class: 'case-open' })),
      el('td', null, str(c.status)), el('td', null, valueView(str(c.owner), 80)),
      ['events', 'entities', 'alerts', 'notes'].map((k) => el('td', { class: 'num' }, fmtInt(Number(c.counts?.[k]) || 0))),
      el('td', null, time(c.updated))));
    return el('table', { class: 'sources-table' }, el('thead', null, head), el('tbody', null, rows));
  }

  leave() {}
  focusQuery() {}
  redraw() {}
}

// ---- one case --------------------------------------------------------------------------

export class CasePage {
  constructor(app) {
    this.app = app;
    this.root = el('div', { class: 'page case-page', id: 'case-page' });
  }

  async show(state) {
    this.state = state;
    replace(this.root, el('p', { class: 'muted' }, 'Loading…'));
    try {
      this.c = await api.caseGet(state.caseId);
      this.render();
    } catch (e) {
      replace(this.root, this.backLink(), el('p', { class: 'error', id: 'case-error' }, `Case ${state.caseId}: ${e.message}`));
    }
  }

  backLink() { return appLink(this.app, { ...this.state, view: 'cases' }, '← all cases', { class: 'back', id: 'case-back' }); }

  // Applies a change and shows the case as the server answers it.
  async change(fn) {
    try {
      const res = await fn();
      this.c = res.case || res;
      this.render();
    } catch (e) { this.msg.textContent = 'not saved: ' + e.message; }
  }

  render() {
    const c = this.c;
    document.title = `Case ${str(c.id)} · kamatama`;
    this.msg = el('p', { class: 'status', id: 'case-msg', role: 'status' });
    replace(this.root, this.backLink(),
      el('h2', { id: 'case-title' }, `#${str(c.id)} `, valueView(str(c.title), 300)),
      el('p', { class: 'muted', id: 'case-facts' }, `${str(c.status)} · owner `, valueView(str(c.owner), 80),
        ` · opened ${time(c.created)} by `, valueView(str(c.created_by), 80), ` · updated ${time(c.updated)} UTC · `,
        appLink(this.app, { ...this.state, view: 'case', caseId: str(c.id) }, 'permalink', { id: 'case-permalink' })),
      this.exports(), this.msg, this.editForm(),
      c.description ? appendLines(el('div', { class: 'case-text', id: 'case-description' }), str(c.description)) : null,
      this.eventsView(), el('div', { class: 'case-cols' }, this.entitiesView(), this.alertsView()), this.notesView());
  }

  exports() {
    if (!canExport(this.app)) return null;
    const id = str(this.c.id);
    return el('p', { class: 'case-exports', id: 'case-exports' }, 'Export: ',
      [['json', 'JSON'], ['csv', 'CSV (events)'], ['md', 'Markdown'], ['html', 'HTML report']].map(([f, label]) =>
        [el('a', { href: api.caseExportUrl(id, f), id: `case-export-${f}`, download: `case-${id}.${f}` }, label), ' ']));
  }

  editForm() {
    if (!canEdit(this.app)) return null;
    const c = this.c;
    const title = el('input', { type: 'text', id: 'case-edit-title', value: str(c.title), 'aria-label': 'title' });
    const owner = el('input', { type: 'text', id: 'case-edit-owner', value: str(c.owner), 'aria-label': 'owner' });
    const status = el('select', { id: 'case-edit-status', 'aria-label': 'status' }, ['open', 'closed'].map((s) => el('option', { value: s, selected: s === c.status }, s)));
    const desc = textArea({ id: 'case-edit-desc', 'aria-label': 'description' }, 3);
    desc.value = str(c.description);
    const save = el('button', { type: 'button', id: 'case-save' }, 'Save');
    save.addEventListener('click', () => this.change(() => api.patchCase(c.id, { title: title.value, owner: owner.value, status: status.value, description: desc.value })));
    return el('details', { class: 'case-edit' }, el('summary', null, 'Edit'), el('div', { class: 'case-new' }, title, owner, status, desc, save));
  }

  unpin(kind, item) {
    if (!canEdit(this.app)) return null;
    const b = el('button', { type: 'button', class: 'mini unpin', title: 'remove from the case' }, 'unpin');
    b.addEventListener('click', () => this.change(() => api.patchCase(this.c.id, { [`remove_${kind}`]: [Number(item.id)] })));
    return b;
  }

  eventsView() {
    const events = [...arr(this.c.events)].sort((a, b) => str(a['@timestamp']).localeCompare(str(b['@timestamp'])));
    const rows = events.map((e) => {
      const target = eventState(str(e['@timestamp']), str(e['event.dataset']), str(e['host.name']));
      const line = el('pre', { class: 'original', hidden: true }, valueView(str(e.message), 4000));
      const raw = el('button', { type: 'button', class: 'mini' }, 'line');
      raw.addEventListener('click', () => { line.hidden = !line.hidden; });
      return el('tr', { dataset: { item: str(e.id) } },
        el('td', { class: 'ts' }, fmtUtc(str(e['@timestamp']))), el('td', null, valueView(str(e['event.dataset']), 60)),
        el('td', null, e['host.name'] ? entityLink(this.app, 'host', str(e['host.name'])) : ''),
        el('td', { class: 'summary' }, valueView(str(e.summary), 400), line),
        el('td', { class: 'actions' }, target ? appLink(this.app, target, 'open', { class: 'case-event-open' }) : null, ' ', raw, ' ', this.unpin('events', e)));
    });
    return el('section', { id: 'case-events' }, el('h3', null, `Pinned events (${events.length})`),
      events.length ? el('table', { class: 'sources-table' }, el('tbody', null, rows)) : el('p', { class: 'muted' }, 'None yet: use "Add to case…" in an event\u2019s detail.'));
  }

  entitiesView() {
    const items = arr(this.c.entities).map((e) => el('li', { dataset: { item: str(e.id), etype: str(e.type) } },
      el('span', { class: 'muted' }, str(e.type) + ' '), entityLink(this.app, str(e.type), str(e.value)), ' ', this.unpin('entities', e)));
    return el('section', { id: 'case-entities' }, el('h3', null, `Entities (${items.length})`), items.length ? el('ul', null, items) : el('p', { class: 'muted' }, 'None yet.'));
  }

  alertsView() {
    const items = arr(this.c.alerts).map((a) => el('li', { dataset: { item: str(a.id) } },
      el('b', null, str(a.level)), ' ', appLink(this.app, { ...this.state, view: 'alerts', alert: str(a.alert_id) }, valueView(str(a.rule), 200)),
      el('span', { class: 'muted' }, ' on '), valueView(str(a.host), 80), el('span', { class: 'muted' }, ` · ${time(a.first)}`), ' ', this.unpin('alerts', a)));
    return el('section', { id: 'case-alerts' }, el('h3', null, `Alerts (${items.length})`), items.length ? el('ul', null, items) : el('p', { class: 'muted' }, 'None yet.'));
  }

  notesView() {
    const notes = arr(this.c.notes).map((n) => el('div', { class: 'case-note', dataset: { item: str(n.id) } },
      el('div', { class: 'muted small' }, valueView(str(n.pinned_by), 80), ` · ${time(n.pinned_at)} UTC`),
      appendLines(el('div', { class: 'case-text' }), str(n.text))));
    let add = null;
    if (canEdit(this.app)) {
      const text = textArea({ id: 'case-note-text', placeholder: 'a note (Markdown; shown as text)' }, 3);
      const btn = el('button', { type: 'button', id: 'case-note-add' }, 'Add note');
      btn.addEventListener('click', () => this.change(() => api.addToCase(this.c.id, 'notes', { text: text.value })));
      add = el('div', { class: 'case-new' }, text, btn);
    }
    return el('section', { id: 'case-notes' }, el('h3', null, `Notes (${notes.length})`), notes, add);
  }

  leave() {}
  focusQuery() {}
  redraw() {}
}
