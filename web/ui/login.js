// login.js: the sign-in form, shown when the API answers 401 (docs/security.md). The password
// goes to POST /api/v1/login as JSON; the server answers with an HttpOnly session cookie and a
// CSRF token for later state-changing requests. Nothing else of the app is shown meanwhile.
import { el } from './dom.js';
import { login, changePassword, ApiError } from './api.js';

export class LoginPage {
  constructor(onDone, message) {
    this.onDone = onDone;
    this.user = el('input', { type: 'text', id: 'login-user', name: 'username', autocomplete: 'username', spellcheck: 'false', autocapitalize: 'none' });
    this.password = el('input', { type: 'password', id: 'login-password', name: 'password', autocomplete: 'current-password' });
    this.submitBtn = el('button', { type: 'submit', id: 'login-submit', class: 'primary' }, 'Sign in');
    this.error = el('p', { id: 'login-error', class: 'login-error', role: 'alert', hidden: !message }, message || '');
    this.form = el('form', { id: 'login-form', class: 'login', on: { submit: (e) => this.submit(e) } },
      el('h1', {}, 'kamatama'),
      el('label', { for: 'login-user' }, 'User'), this.user,
      el('label', { for: 'login-password' }, 'Password'), this.password,
      this.submitBtn, this.error);
    this.root = el('section', { class: 'login-page' }, this.form);
  }

  focus() { (this.user.value ? this.password : this.user).focus(); }

  async submit(e) {
    e.preventDefault();
    this.submitBtn.disabled = true;
    this.error.hidden = true;
    try {
      const me = await login(this.user.value, this.password.value);
      this.password.value = '';
      this.onDone(me);
    } catch (err) {
      this.password.value = '';
      this.error.hidden = false;
      this.error.textContent = err instanceof ApiError && err.status === 429
        ? 'Too many failed attempts: ' + err.message + '. Try again later.'
        : err instanceof ApiError && err.status === 401 ? 'Wrong user name or password.' : err.message;
      this.password.focus();
    } finally {
      this.submitBtn.disabled = false;
    }
  }
}

// The first admin's generated password must be changed before anything else (docs/security.md):
// the server refuses every other request until it is.
export class ChangePasswordPage {
  constructor(me, onDone) {
    this.me = me;
    this.onDone = onDone;
    this.current = el('input', { type: 'password', id: 'pw-current', autocomplete: 'current-password' });
    this.next = el('input', { type: 'password', id: 'pw-new', autocomplete: 'new-password' });
    this.again = el('input', { type: 'password', id: 'pw-again', autocomplete: 'new-password' });
    this.submitBtn = el('button', { type: 'submit', id: 'pw-submit', class: 'primary' }, 'Change password');
    this.error = el('p', { id: 'pw-error', class: 'login-error', role: 'alert', hidden: true }, '');
    this.form = el('form', { id: 'pw-form', class: 'login', on: { submit: (e) => this.submit(e) } },
      el('h1', {}, 'Choose a new password'),
      el('p', {}, `The password of ${me.user} was generated at the first start and must be changed now.`),
      el('label', { for: 'pw-current' }, 'Current password'), this.current,
      el('label', { for: 'pw-new' }, 'New password (at least 8 characters)'), this.next,
      el('label', { for: 'pw-again' }, 'New password again'), this.again,
      this.submitBtn, this.error);
    this.root = el('section', { class: 'login-page' }, this.form);
  }

  focus() { this.current.focus(); }

  async submit(e) {
    e.preventDefault();
    this.error.hidden = true;
    if (this.next.value !== this.again.value) {
      this.error.hidden = false;
      this.error.textContent = 'The new passwords differ.';
      return;
    }
    this.submitBtn.disabled = true;
    try {
      const me = await changePassword(this.current.value, this.next.value);
      this.onDone(me);
    } catch (err) {
      this.error.hidden = false;
      this.error.textContent = err.message;
    } finally {
      this.current.value = this.next.value = this.again.value = '';
      this.submitBtn.disabled = false;
    }
  }
}
