// app.js: entry point. Routing between the Search, Sources and Hunt pages from the URL, history,
// theme, keyboard shortcuts, the login form (shown whenever the API answers 401).
import { el, replace, localOffsetLabel } from './dom.js';
import { onUnauthorized, whoAmI, logout } from './api.js';
import { LoginPage, ChangePasswordPage } from './login.js';
import { readState, writeState, stateToSearch } from './state.js';
import { SearchPage } from './search.js';
import { SourcesPage } from './sources.js';
import { ListsPage } from './intel.js';
import { HuntPage } from './hunt.js';
import { EntityPage, TreePage } from './investigate.js';
import { AlertsPage } from './alerts.js';
import { RulesPage } from './rules.js';
import { CasesPage, CasePage } from './cases.js';
import { SavedPage, loadSaved } from './saved.js';
import { UnparsedPage } from './unparsed.js';  // issue 23
import { DashboardsPage } from './dashboards.js';

const THEMES = ['auto', 'dark', 'light'];

class App {
  constructor() {
    this.main = document.getElementById('app');
    this.banner = document.getElementById('banner');
    this.pages = {};
    this.current = null;
    this.setupHeader();
    this.setupTheme();
    onUnauthorized(() => this.showLogin('Your session has ended: sign in again.'));
    window.addEventListener('popstate', () => { if (this.me) this.apply(readState()); });
    document.addEventListener('keydown', (e) => this.onKey(e));
    let resizeTimer = null;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => this.current?.redraw(), 150);
    });
    this.start();
  }

  // Logged in already (a session cookie)? Then the app, else the login form.
  async start() {
    let me = null;
    try { me = await whoAmI(); } catch (e) { this.showLogin('Cannot reach the server: ' + e.message); return; }
    if (!me) { this.showLogin(''); return; }
    this.loggedIn(me);
  }

  loggedIn(me) {
    if (me.must_change_password) {
      // Nothing else works until the generated password is changed (docs/security.md).
      this.current?.leave();
      this.current = null;
      document.body.classList.add('logged-out');
      document.title = 'Change password · kamatama';
      const page = new ChangePasswordPage(me, (next) => this.loggedIn(next));
      replace(this.main, page.root);
      page.focus();
      return;
    }
    this.me = me;
    loadSaved();  // issue 25: the names the query bar completes
    this.banner.hidden = true;
    this.whoami.textContent = `${me.user} (${me.role})`;
    this.logoutBtn.hidden = false;
    document.body.classList.remove('logged-out');
    this.current = null;
    this.apply(readState(), true);
  }

  showLogin(message) {
    this.me = null;
    this.current?.leave();
    this.current = null;
    this.pages = {};  // nothing from the previous session stays on screen
    this.whoami.textContent = '';
    this.logoutBtn.hidden = true;
    document.body.classList.add('logged-out');
    document.title = 'Sign in · kamatama';
    const login = new LoginPage((me) => this.loggedIn(me), message);
    replace(this.main, login.root);
    login.focus();
  }

  setupHeader() {
    const nav = document.getElementById('nav');
    this.navSearch = el('a', { href: '/', class: 'tab', id: 'nav-search' }, 'Search');
    this.navSources = el('a', { href: '/?view=sources', class: 'tab', id: 'nav-sources' }, 'Sources');
    this.navLists = el('a', { href: '/?view=lists', class: 'tab', id: 'nav-lists' }, 'Threat intel');
    this.navHunt = el('a', { href: '/?view=hunt', class: 'tab', id: 'nav-hunt' }, 'Hunt');
    this.navAlerts = el('a', { href: '/?view=alerts', class: 'tab', id: 'nav-alerts' }, 'Alerts');  // issue 21
    this.navRules = el('a', { href: '/?view=rules', class: 'tab', id: 'nav-rules' }, 'Rules');
    this.navCases = el('a', { href: '/?view=cases', class: 'tab', id: 'nav-cases' }, 'Cases');  // issue 22
    this.navSaved = el('a', { href: '/?view=saved', class: 'tab', id: 'nav-saved' }, 'Saved');  // issue 25
    this.navDash = el('a', { href: '/?view=dashboards', class: 'tab', id: 'nav-dashboards' }, 'Dashboards');
    this.navUnparsed = el('a', { href: '/?view=unparsed', class: 'tab', id: 'nav-unparsed' }, 'Unparsed');  // issue 23
    for (const [a, view] of [[this.navSearch, 'search'], [this.navSources, 'sources'], [this.navHunt, 'hunt'], [this.navLists, 'lists'],
      [this.navAlerts, 'alerts'], [this.navRules, 'rules'], [this.navCases, 'cases'], [this.navSaved, 'saved'], [this.navDash, 'dashboards'], [this.navUnparsed, 'unparsed']]) {
      a.addEventListener('click', (e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        const s = this.state || readState();
        // The Alerts and Rules pages open on their list (filters of another view do not carry over).
        const fresh = view === 'alerts' || view === 'rules' ? { level: '', status: '', rule: '', host: '', arange: 'all', offset: 0, alert: '' } : {};
        if (view === 'saved') fresh.savedId = '';
        if (view === 'dashboards') fresh.dashId = '';
        this.navigate({ ...s, ...fresh, view });
      });
    }
    nav.append(this.navSearch, this.navSources, this.navHunt, this.navLists, this.navAlerts, this.navRules, this.navCases, this.navSaved, this.navDash, this.navUnparsed);
    this.whoami = document.getElementById('whoami');
    this.logoutBtn = document.getElementById('logout');
    this.logoutBtn.addEventListener('click', async () => {
      try { await logout(); } catch { /* the session is gone either way */ }
      this.showLogin('Signed out.');
    });
    const tz = document.getElementById('tz');
    tz.textContent = `times in UTC · local ${localOffsetLabel()}`;
  }

  setupTheme() {
    const btn = document.getElementById('theme');
    let theme = 'auto';
    try { theme = localStorage.getItem('kamatama.theme') || 'auto'; } catch { /* storage disabled */ }
    if (!THEMES.includes(theme)) theme = 'auto';
    const applyTheme = () => {
      if (theme === 'auto') document.documentElement.removeAttribute('data-theme');
      else document.documentElement.setAttribute('data-theme', theme);
      btn.textContent = theme === 'auto' ? '◐ auto' : theme === 'dark' ? '● dark' : '○ light';
      btn.title = 'Theme: ' + theme + ' (click to change)';
    };
    btn.addEventListener('click', () => {
      theme = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];
      try { localStorage.setItem('kamatama.theme', theme); } catch { /* ignore */ }
      applyTheme();
      this.current?.redraw();
    });
    applyTheme();
  }

  page(view) {
    const make = { sources: () => new SourcesPage(this), hunt: () => new HuntPage(this), lists: () => new ListsPage(this),
      entity: () => new EntityPage(this), tree: () => new TreePage(this),  // issue 22: entity, tree
      alerts: () => new AlertsPage(this), rules: () => new RulesPage(this), 
      cases: () => new CasesPage(this), case: () => new CasePage(this), saved: () => new SavedPage(this), dashboards: () => new DashboardsPage(this), unparsed: () => new UnparsedPage(this) }[view] || (() => new SearchPage(this));  // issue 21
    if (!this.pages[view]) this.pages[view] = make();
    return this.pages[view];
  }

  // Shows a state (from the URL or a user action).
  apply(state, first = false) {
    this.state = state;
    const page = this.page(state.view);
    if (this.current !== page) {
      this.current?.leave();
      this.current = page;
      replace(this.main, page.root);
    }
    this.navSearch.classList.toggle('active', state.view === 'search');
    this.navSources.classList.toggle('active', state.view === 'sources');
    this.navHunt.classList.toggle('active', state.view === 'hunt');
    this.navLists.classList.toggle('active', state.view === 'lists');
    this.navAlerts.classList.toggle('active', state.view === 'alerts');
    this.navRules.classList.toggle('active', state.view === 'rules');
    this.navCases.classList.toggle('active', state.view === 'cases' || state.view === 'case');
    this.navSaved.classList.toggle('active', state.view === 'saved');
    this.navDash.classList.toggle('active', state.view === 'dashboards');
    this.navUnparsed.classList.toggle('active', state.view === 'unparsed');
    this.navSearch.setAttribute('href', '/' + stateToSearch({ ...state, view: 'search' }));
    const titles = { sources: 'Sources · kamatama', hunt: 'Hunt · kamatama', lists: 'Threat intel · kamatama', tree: 'Process tree · kamatama',
      alerts: 'Alerts · kamatama', rules: 'Rules · kamatama', cases: 'Cases · kamatama', case: `Case ${state.caseId} · kamatama`,
      saved: 'Saved searches · kamatama', dashboards: 'Dashboards · kamatama', unparsed: 'Unparsed lines · kamatama' };
    document.title = state.view === 'entity' ? `${state.etype} ${state.evalue.slice(0, 60)} · kamatama`
      : titles[state.view] || `${state.q ? state.q.slice(0, 60) + ' · ' : ''}kamatama`;
    page.show(state);
    if (first && state.view === 'search' && !state.q) page.focusQuery();
  }

  // A user action: record it in the URL (a history entry) and show it.
  navigate(state) {
    writeState(state);
    this.apply(state);
  }

  onKey(e) {
    if (!this.me) return;
    const t = e.target;
    const typing = t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement || t?.isContentEditable;
    if (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      if (this.state.view !== 'search') this.navigate({ ...this.state, view: 'search' });
      this.current.focusQuery();
    } else if (e.key === 'Escape') {
      if (this.current?.closeDetail?.()) e.preventDefault();
    }
  }
}

window.kamatama = new App();
