/** Instances: the list with live status, and creating one (its token is shown once). */
import { api, type Instance } from '../api';
import { badge, busy, copyButton, every, formatTime, h, modal, mount, notice, showError } from '../dom';
import { subscribeLive } from '../events-panel';
import { link, navigate, type PageContext } from '../router';

/** The status pill of an instance, with its reason as a tooltip. */
export function statusBadge(instance: Pick<Instance, 'status' | 'statusReason'>): HTMLElement {
  const pill = badge(instance.status);
  pill.title = instance.statusReason;
  return pill;
}

/** Shows a secret once, with a copy button. */
export async function showSecretOnce(title: string, label: string, secret: string): Promise<void> {
  await modal(
    title,
    h(
      'div',
      null,
      h('p', null, `${label} It is shown only this once: copy it now and keep it somewhere safe.`),
      h('div', { class: 'secret' }, h('code', { class: 'secret-value', 'data-secret': '' }, secret), copyButton(secret)),
    ),
    [{ label: 'Done', value: true, kind: 'primary' }],
  );
}

/** `#/instances`. */
export function instancesPage({ main, signal }: PageContext): void {
  const tbody = h('tbody');
  const error = h('div');
  const table = h(
    'table',
    { class: 'table', id: 'instances-table' },
    h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Status'), h('th', null, 'Engine'), h('th', null, 'Number'), h('th', null, 'Created'), h('th', null, ''))),
    tbody,
  );

  const refresh = async () => {
    try {
      const { instances } = await api<{ instances: Instance[] }>('GET', '/api/instances', undefined, { signal });
      error.replaceChildren();
      if (instances.length === 0) {
        mount(tbody, h('tr', null, h('td', { colSpan: 6, class: 'empty-row' }, 'No instances yet. Create one to link a WhatsApp number.')));
        return;
      }
      mount(
        tbody,
        instances.map((i) =>
          h(
            'tr',
            { 'data-instance': i.id },
            h('td', null, link(`/instances/${i.id}`, h('strong', null, i.name)), h('div', { class: 'muted small' }, i.id)),
            h('td', null, statusBadge(i), h('div', { class: 'muted small' }, i.statusReason)),
            // In cluster mode, the node running the instance's session.
            h('td', null, i.engine, i.node !== undefined ? h('div', { class: 'muted small' }, i.node ? `node ${i.node}` : 'no node yet') : ''),
            h('td', null, i.phone ? `+${i.phone}` : '—'),
            h('td', null, formatTime(i.createdAt)),
            h('td', { class: 'row-actions' }, link(`/instances/${i.id}/groups`, 'Groups'), link(`/instances/${i.id}/operations`, 'Operations')),
          ),
        ),
      );
    } catch (err) {
      if (!signal.aborted) error.replaceChildren(notice((err as Error).message));
    }
  };

  const name = h('input', { name: 'name', placeholder: 'e.g. Sales number', maxLength: 100 });
  const engine = h(
    'select',
    { name: 'engine' },
    h('option', { value: 'baileys', title: 'A real WhatsApp number, linked by QR code or pairing code' }, 'WhatsApp number'),
    h('option', { value: 'sandbox', title: 'An emulated number, connected at once, for trying things out' }, 'Sandbox (emulated)'),
  );
  const phone = h('input', { name: 'phone', placeholder: '+15550001111 (optional)', maxLength: 32 });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create instance');
  const form = h(
    'form',
    {
      class: 'card form-grid',
      id: 'create-instance',
      onsubmit: (event: Event) => {
        event.preventDefault();
        void busy(submit, async () => {
          const body: Record<string, string> = { engine: engine.value };
          if (name.value.trim()) body.name = name.value.trim();
          if (phone.value.trim()) body.phone = phone.value.trim();
          const created = await api<Instance & { token: string }>('POST', '/api/instances', body);
          form.reset();
          await refresh();
          await showSecretOnce('Instance created', 'This is the instance token, for the provider-compatible APIs.', created.token);
          navigate(`/instances/${created.id}`);
        });
      },
    },
    h('h2', null, 'New instance'),
    h('label', null, 'Name', name),
    h('label', null, 'Engine', engine),
    h('label', null, 'Number', phone),
    h('div', { class: 'form-actions' }, submit),
  );

  mount(
    main,
    h('div', { class: 'page-head' }, h('h1', null, 'Instances'), h('p', { class: 'muted' }, 'Each instance is one WhatsApp number.')),
    error,
    h('div', { class: 'card card-flush' }, table),
    form,
  );
  every(3000, refresh, signal);
  subscribeLive((event) => {
    if (event.type === 'instance.status') void refresh().catch(showError);
  }, signal);
}
