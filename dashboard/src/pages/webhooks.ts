/** Webhook subscriptions: create, enable/disable, delete; one subscription's deliveries, retry, replay, test. */
import { api, errorMessage, type Instance, isMissingRoute, seg } from '../api';
import { badge, busy, confirmAction, every, formatTime, h, mount, notice, toast } from '../dom';
import { link, navigate, type PageContext } from '../router';
import { showSecretOnce } from './instances';

interface Subscription {
  id: string;
  url: string;
  instances: string[] | null;
  events: string[] | null;
  format: string;
  enabled: boolean;
  secret?: string;
  managedBy?: string | null;
  createdAt?: string;
}

interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  instanceId: string | null;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  createdAt: string;
}

const UNAVAILABLE = 'Webhooks are not available on this server version.';
const list = <T>(body: unknown, key: string): T[] => (Array.isArray(body) ? body : ((body as Record<string, T[]>)?.[key] ?? [])) as T[];

/** `#/webhooks`. */
export function webhooksPage({ main, signal }: PageContext): void {
  const area = h('div');
  const load = async () => {
    try {
      const [subs, names] = await Promise.all([list<Subscription>(await api('GET', '/api/webhooks', undefined, { signal }), 'webhooks'), instanceNames(signal)]);
      if (subs.length === 0) return mount(area, h('div', { class: 'card empty' }, h('p', null, 'No subscriptions yet. Add one below to receive group events over HTTP.')));
      mount(
        area,
        h(
          'div',
          { class: 'card card-flush' },
          h(
            'table',
            { class: 'table', id: 'webhooks-table' },
            h('thead', null, h('tr', null, h('th', null, 'URL'), h('th', null, 'Format'), h('th', null, 'Events'), h('th', null, 'Instances'), h('th', null, 'State'))),
            h(
              'tbody',
              null,
              subs.map((s) =>
                h(
                  'tr',
                  { 'data-webhook': s.id },
                  h('td', null, link(`/webhooks/${s.id}`, h('strong', { class: 'break' }, s.url))),
                  h('td', null, s.format),
                  h('td', null, s.events?.length ? s.events.join(', ') : 'all'),
                  h('td', null, instancesLabel(s.instances, names)),
                  h('td', null, badge(s.enabled ? 'enabled' : 'disabled')),
                ),
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      if (!signal.aborted) mount(area, notice(isMissingRoute(err) ? UNAVAILABLE : errorMessage(err), isMissingRoute(err) ? 'info' : 'error'));
    }
  };
  mount(
    main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', null, 'Webhooks'),
      h('p', { class: 'muted' }, 'Events are delivered from a durable log: signed, in order per instance, retried until they arrive.'),
    ),
    area,
    createForm(load, signal),
  );
  void load();
}

function createForm(reload: () => Promise<void>, signal: AbortSignal): HTMLElement {
  const url = h('input', { name: 'url', type: 'url', required: true, placeholder: 'https://example.com/groupgate-hook' });
  const format = h(
    'select',
    { name: 'format' },
    ['native', 'green-api', 'z-api'].map((f) => h('option', { value: f }, f)),
  );
  const events = h('input', { name: 'events', placeholder: 'All events, or e.g. group.*, instance.status' });
  const instanceBoxes = h('div', { class: 'check-list' }, h('span', { class: 'muted small' }, 'Loading instances…'));
  void api<{ instances: Instance[] }>('GET', '/api/instances', undefined, { signal })
    .then(({ instances }) =>
      mount(
        instanceBoxes,
        instances.length
          ? instances.map((i) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: i.id }), `${i.name} (${i.id})`))
          : h('span', { class: 'muted small' }, 'No instances yet.'),
      ),
    )
    .catch(() => instanceBoxes.replaceChildren());
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add subscription');
  const status = h('div');
  const form = h(
    'form',
    {
      class: 'card form-stack',
      id: 'create-webhook',
      onsubmit: (event: Event) => {
        event.preventDefault();
        status.replaceChildren();
        const body: Record<string, unknown> = { url: url.value.trim(), format: format.value };
        const types = events.value.split(/[\s,]+/).filter(Boolean);
        if (types.length) body.events = types;
        const picked = [...instanceBoxes.querySelectorAll<HTMLInputElement>('input:checked')].map((b) => b.value);
        if (picked.length) body.instances = picked;
        void busy(submit, async () => {
          try {
            const created = await api<Subscription>('POST', '/api/webhooks', body);
            form.reset();
            await reload();
            if (created.secret) await showSecretOnce('Subscription created', 'This is the signing secret (Standard Webhooks) to verify deliveries.', created.secret);
          } catch (err) {
            status.replaceChildren(notice(isMissingRoute(err) ? UNAVAILABLE : errorMessage(err)));
          }
        });
      },
    },
    h('h2', null, 'New subscription'),
    h('label', null, 'URL', url),
    h('div', { class: 'two-col tight' }, h('label', null, 'Format', format), h('label', null, 'Events', events)),
    h('fieldset', null, h('legend', null, 'Instances (none checked: all this key may see)'), instanceBoxes),
    status,
    h('div', { class: 'form-actions' }, submit),
  );
  return form;
}

/** `#/webhooks/:id`. */
export function webhookPage({ params, main, signal }: PageContext): void {
  const [id] = params;
  const base = `/api/webhooks/${seg(id)}`;
  const head = h('div', { class: 'page-head' });
  const deliveries = h('div');
  let filter = '';

  const loadSub = async () => {
    try {
      const sub = await api<Subscription>('GET', base, undefined, { signal });
      const toggle = h('button', { type: 'button', class: 'btn btn-secondary' }, sub.enabled ? 'Disable' : 'Enable');
      toggle.addEventListener('click', () => void busy(toggle, async () => (await api('PATCH', base, { enabled: !sub.enabled }), await loadSub())));
      const ping = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Send test ping');
      ping.addEventListener(
        'click',
        () =>
          void busy(ping, async () => {
            const r = await api<{ ok: boolean; statusCode: number | null; error: string | null; durationMs: number }>('POST', `${base}/test`);
            if (r.ok) toast(`Test ping delivered: the receiver answered ${r.statusCode} in ${r.durationMs} ms.`, 'success');
            else toast(`Test ping failed: ${r.error ?? `the receiver answered ${r.statusCode}`}.`, 'error');
            await loadDeliveries();
          }),
      );
      const remove = h('button', { type: 'button', class: 'btn btn-danger' }, 'Delete');
      remove.addEventListener(
        'click',
        () =>
          void busy(remove, async () => {
            if (!(await confirmAction('Delete this subscription?', 'Nothing more is delivered to this URL, and its delivery history is deleted.', 'Delete subscription'))) return;
            await api('DELETE', base);
            toast('Subscription deleted.', 'success');
            navigate('/webhooks');
          }),
      );
      mount(
        head,
        link('/webhooks', '← Webhooks'),
        h('h1', { class: 'break' }, sub.url, ' ', badge(sub.enabled ? 'enabled' : 'disabled')),
        h(
          'p',
          { class: 'muted' },
          `${sub.format} format · events: ${sub.events?.length ? sub.events.join(', ') : 'all'} · instances: ${instancesLabel(sub.instances, await instanceNames(signal))}${sub.managedBy ? ` · managed by ${sub.managedBy} settings` : ''}`,
        ),
        h('div', { class: 'toolbar' }, ping, toggle, h('span', { class: 'spacer' }), remove),
      );
    } catch (err) {
      if (!signal.aborted) mount(head, link('/webhooks', '← Webhooks'), notice(isMissingRoute(err) ? UNAVAILABLE : errorMessage(err)));
    }
  };

  const loadDeliveries = async () => {
    try {
      const rows = list<Delivery>(await api('GET', `${base}/deliveries${filter ? `?status=${filter}` : ''}`, undefined, { signal }), 'deliveries');
      if (rows.length === 0) return mount(deliveries, h('p', { class: 'muted pad' }, filter ? `No ${filter} deliveries.` : 'No deliveries yet.'));
      mount(
        deliveries,
        h(
          'table',
          { class: 'table table-compact', id: 'deliveries-table' },
          h(
            'thead',
            null,
            h('tr', null, h('th', null, 'Event'), h('th', null, 'Status'), h('th', null, 'Attempts'), h('th', null, 'Last answer'), h('th', null, 'Next retry'), h('th', null, '')),
          ),
          h(
            'tbody',
            null,
            rows.map((d) => deliveryRow(base, d, loadDeliveries, replay)),
          ),
        ),
      );
    } catch (err) {
      if (!signal.aborted) mount(deliveries, notice(isMissingRoute(err) ? UNAVAILABLE : errorMessage(err)));
    }
  };

  const tabs = h('div', { class: 'tabs', role: 'tablist' });
  const renderTabs = () =>
    mount(
      tabs,
      ['', 'pending', 'delivered', 'failed', 'skipped', 'cancelled'].map((s) =>
        h(
          'button',
          {
            type: 'button',
            role: 'tab',
            class: `tab${s === filter ? ' active' : ''}`,
            'aria-selected': String(s === filter),
            onclick: () => ((filter = s), renderTabs(), void loadDeliveries()),
          },
          s || 'all',
        ),
      ),
    );
  renderTabs();

  const replay = async (from: string) => {
    if (!(await confirmAction('Replay events?', `Every event from ${from} on is delivered again, in order; pending deliveries are replaced.`, 'Replay'))) return;
    const r = await api<{ instances: unknown[]; cancelled: number }>('POST', `${base}/replay`, { from });
    toast(
      `Replay started for ${r.instances.length} instance${r.instances.length === 1 ? '' : 's'}${r.cancelled ? `; ${r.cancelled} pending deliveries folded into it` : ''}.`,
      'success',
    );
    await loadDeliveries();
  };

  mount(main, head, h('section', { class: 'card card-flush' }, h('div', { class: 'card-head' }, h('h2', null, 'Deliveries'), tabs), deliveries), replayForm(replay));
  void loadSub();
  every(3000, loadDeliveries, signal);
}

function deliveryRow(base: string, d: Delivery, reload: () => Promise<void>, replay: (from: string) => Promise<void>): HTMLElement {
  const retry = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, d.status === 'pending' ? 'Retry now' : 'Retry');
  retry.addEventListener(
    'click',
    () => void busy(retry, async () => (await api('POST', `${base}/deliveries/${seg(d.id)}/retry`), toast('Sending it again now.', 'success'), await reload())),
  );
  const again = h('button', { type: 'button', class: 'btn btn-ghost btn-small' }, 'Replay from here');
  again.addEventListener('click', () => void busy(again, () => replay(d.eventId)));
  // Test pings are not retried and skipped events have nothing to send.
  const actionable = d.instanceId !== null && d.status !== 'skipped';
  return h(
    'tr',
    { 'data-delivery': d.id, 'data-status': d.status },
    h('td', null, h('strong', null, d.eventType), h('div', { class: 'muted small' }, d.eventId)),
    h('td', null, badge(d.status)),
    h('td', null, String(d.attempts)),
    h(
      'td',
      null,
      d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : '',
      d.lastError ? h('div', { class: 'small danger-text' }, d.lastError) : null,
      d.lastAttemptAt ? h('div', { class: 'muted small' }, formatTime(d.lastAttemptAt)) : null,
    ),
    h('td', null, d.status === 'pending' && d.nextAttemptAt ? formatTime(d.nextAttemptAt) : '—'),
    h('td', { class: 'row-actions' }, actionable ? [retry, again] : null),
  );
}

function replayForm(replay: (from: string) => Promise<void>): HTMLElement {
  const from = h('input', { name: 'from', required: true, placeholder: 'Event id (01J…) or time (2026-11-22T10:00:00Z)' });
  const submit = h('button', { type: 'submit', class: 'btn btn-secondary' }, 'Replay');
  const form = h(
    'form',
    {
      class: 'card form-stack',
      id: 'replay',
      onsubmit: (event: Event) => {
        event.preventDefault();
        void busy(submit, async () => {
          await replay(from.value.trim());
          form.reset();
        });
      },
    },
    h('h2', null, 'Replay from an event'),
    h('p', { class: 'muted small' }, 'Redeliver everything from an event id or a point in time, for a receiver that lost data.'),
    h('label', null, 'From', from),
    h('div', { class: 'form-actions' }, submit),
  );
  return form;
}

/** Instance id -> name, for showing subscriptions by the names people gave their numbers. */
async function instanceNames(signal?: AbortSignal): Promise<Map<string, string>> {
  try {
    const { instances } = await api<{ instances: Instance[] }>('GET', '/api/instances', undefined, { signal });
    return new Map(instances.map((i) => [i.id, i.name]));
  } catch {
    return new Map();
  }
}

/** `Sales, Support` (an unknown id stays as it is), or `all`. */
function instancesLabel(ids: string[] | null | undefined, names: Map<string, string>): string {
  return ids?.length ? ids.map((id) => names.get(id) ?? id).join(', ') : 'all';
}
