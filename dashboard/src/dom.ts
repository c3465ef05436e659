/** Small DOM helpers: element builder, toasts, dialogs, copy buttons, timers tied to a page's life. */
import { errorMessage } from './api';

export type Child = Node | string | number | null | undefined | false | Child[];
type Handler = (event: Event) => void;
export type Props = Record<string, unknown>;

/** Builds an element: `on*` props become listeners, `class`/`value`/`checked`/... become properties. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value as Handler);
    else if (name === 'class') el.className = String(value);
    else if (name in el && !name.startsWith('data-') && !name.startsWith('aria-') && name !== 'list' && name !== 'for') (el as unknown as Record<string, unknown>)[name] = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's content. */
export function mount(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

// ---- toasts ----

function toastArea(): HTMLElement {
  let area = document.getElementById('toasts');
  if (!area) {
    area = h('div', { id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(area);
  }
  return area;
}

/** Shows a short message in the corner; errors stay until dismissed. */
export function toast(message: string, kind: 'info' | 'success' | 'error' = 'info'): void {
  const close = h('button', { class: 'toast-close', type: 'button', 'aria-label': 'Dismiss', onclick: () => item.remove() }, '×');
  const item = h('div', { class: `toast toast-${kind}` }, h('span', null, message), close);
  toastArea().appendChild(item);
  if (kind !== 'error') setTimeout(() => item.remove(), 4000);
}

/** Shows whatever was thrown as a readable error toast. */
export function showError(err: unknown): void {
  if ((err as { name?: string })?.name === 'AbortError') return;
  toast(errorMessage(err), 'error');
}

/** Inline error/notice box. */
export function notice(message: string, kind: 'error' | 'info' | 'warning' = 'error'): HTMLElement {
  return h('div', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'note' }, message);
}

// ---- dialogs ----

/** Opens a modal dialog; resolves with the clicked action's value (or null when dismissed). */
export function modal<T>(title: string, body: Child, actions: { label: string; value: T; kind?: 'primary' | 'danger' | 'secondary' }[]): Promise<T | null> {
  return new Promise((resolve) => {
    const done = (value: T | null) => {
      backdrop.remove();
      document.removeEventListener('keydown', onKey);
      resolve(value);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') done(null);
    };
    const buttons = actions.map((a) => h('button', { type: 'button', class: `btn btn-${a.kind ?? 'secondary'}`, onclick: () => done(a.value) }, a.label));
    const dialog = h(
      'div',
      { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-label': title },
      h('h2', null, title),
      h('div', { class: 'modal-body' }, body),
      h('div', { class: 'modal-actions' }, buttons),
    );
    const backdrop = h('div', { class: 'modal-backdrop', onclick: (e: Event) => e.target === backdrop && done(null) }, dialog);
    document.addEventListener('keydown', onKey);
    document.body.appendChild(backdrop);
    (buttons.at(-1) ?? dialog).focus();
  });
}

/** Asks for confirmation of a destructive action. */
export async function confirmAction(title: string, message: string, confirmLabel: string): Promise<boolean> {
  const answer = await modal(title, h('p', null, message), [
    { label: 'Cancel', value: false, kind: 'secondary' },
    { label: confirmLabel, value: true, kind: 'danger' },
  ]);
  return answer === true;
}

// ---- copy ----

/** Copies text to the clipboard (falls back to a hidden textarea where the API is refused). */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // Clipboard API refused (permissions, insecure origin): use the selection.
  }
  const area = h('textarea', { value: text, class: 'offscreen', readOnly: true });
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('Copying is blocked by the browser; select the text and copy it by hand.');
}

/** A "Copy" button for a value. */
export function copyButton(text: string | (() => string), label = 'Copy'): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, label);
  button.addEventListener('click', async () => {
    try {
      await copyText(typeof text === 'function' ? text() : text);
      button.textContent = 'Copied';
      setTimeout(() => (button.textContent = label), 1500);
    } catch (err) {
      showError(err);
    }
  });
  return button;
}

// ---- async helpers ----

/** Runs an action from a button: disables it meanwhile, shows errors as toasts. */
export async function busy<T>(button: HTMLButtonElement | null, action: () => Promise<T>): Promise<T | undefined> {
  if (button) button.disabled = true;
  try {
    return await action();
  } catch (err) {
    showError(err);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

/** Calls `fn` now and then every `ms` until the signal aborts; a slow call never overlaps the next. */
export function every(ms: number, fn: () => Promise<void> | void, signal: AbortSignal): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async () => {
    if (signal.aborted) return;
    try {
      await fn();
    } catch {
      // Each poller shows its own errors; a failed tick just waits for the next one.
    }
    if (!signal.aborted) timer = setTimeout(tick, ms);
  };
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  void tick();
}

/** Formats an ISO time as local date and time. */
export function formatTime(iso: string | undefined | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** A status pill. */
export function badge(text: string, tone?: string): HTMLElement {
  return h('span', { class: `badge badge-${tone ?? text.replace(/[^a-z0-9_-]/gi, '_')}` }, text.replace(/_/g, ' '));
}
