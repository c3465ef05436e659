/** Sign-in: the API key is checked against the server, then kept in session storage only. */
import { api, errorMessage, type Instance, session } from '../api';
import { h, notice } from '../dom';

/** The sign-in screen; `onSignedIn` runs once a key is accepted. */
export function signInPage(message: string | undefined, onSignedIn: () => void): HTMLElement {
  const input = h('input', { type: 'password', id: 'api-key', name: 'api-key', autocomplete: 'off', placeholder: 'Admin key or scoped API key', required: true });
  const status = h('div', { class: 'signin-status' }, message ? notice(message, 'warning') : null);
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'signin-card',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const key = input.value.trim();
        if (!key) return;
        button.disabled = true;
        status.replaceChildren();
        try {
          // Any read proves the key: admin and scoped keys may both list their instances.
          await api<{ instances: Instance[] }>('GET', '/api/instances', undefined, { key });
          session.set(key);
          onSignedIn();
        } catch (err) {
          status.replaceChildren(notice(errorMessage(err)));
          input.select();
        } finally {
          button.disabled = false;
        }
      },
    },
    h('div', { class: 'signin-brand' }, h('span', { class: 'brand-mark' }, 'gg'), 'groupgate'),
    h('h1', null, 'Sign in'),
    h('p', { class: 'muted' }, 'Use an API key of this server. It is kept in this tab only and forgotten when the tab closes.'),
    h('label', { for: 'api-key' }, 'API key'),
    input,
    status,
    button,
  );
  setTimeout(() => input.focus(), 0);
  return h('div', { class: 'signin' }, form);
}
