/** Paced operations of an instance: progress, per-outcome counts, cancel. */
import { api, errorMessage, isMissingRoute, type Operation, seg } from '../api';
import { badge, busy, confirmAction, every, formatTime, h, mount, notice, toast } from '../dom';
import { subscribeLive } from '../events-panel';
import { link, type PageContext } from '../router';
import { outcomeLabel, outcomeTone } from './outcomes';

/** Counts per outcome status, from whichever shape the operation's result carries. */
export function countsOf(op: Operation): [string, number][] {
  const result = (op.result ?? {}) as { outcomes?: { status?: string }[]; counts?: Record<string, number> };
  const progress = (op.progress ?? {}) as { counts?: Record<string, number> };
  const counts = result.counts ?? progress.counts;
  if (counts && typeof counts === 'object') return Object.entries(counts).filter(([, n]) => typeof n === 'number' && n > 0);
  if (Array.isArray(result.outcomes)) {
    const map = new Map<string, number>();
    for (const o of result.outcomes) if (o?.status) map.set(o.status, (map.get(o.status) ?? 0) + 1);
    return [...map];
  }
  return [];
}

function errorText(error: unknown): string {
  if (!error) return '';
  if (typeof error === 'string') return error;
  const e = error as { message?: string; code?: string };
  return e.message ?? e.code ?? '';
}

function operationRow(base: string, op: Operation, refresh: () => Promise<void>): HTMLElement {
  const total = op.progress?.total ?? 0;
  const done = op.progress?.done ?? 0;
  const pct = total > 0 ? Math.round((done / total) * 100) : op.status === 'succeeded' ? 100 : 0;
  const bar = h('div', { class: 'progress-bar' });
  bar.style.width = `${pct}%`;
  const cancellable = op.status === 'scheduled' || op.status === 'running';
  const cancel = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, 'Cancel');
  cancel.addEventListener(
    'click',
    () =>
      void busy(cancel, async () => {
        if (!(await confirmAction('Cancel this operation?', 'What has not run yet will not run. Work already done stays done.', 'Cancel operation'))) return;
        await api('DELETE', `${base}/operations/${seg(op.id)}`);
        toast('Operation cancelled.', 'success');
        await refresh();
      }),
  );
  return h(
    'tr',
    { 'data-operation': op.id, 'data-status': op.status },
    h(
      'td',
      null,
      h('strong', null, op.kind.replace(/_/g, ' ')),
      op.summary ? h('div', { 'data-summary': '' }, op.summary.description) : null,
      h('div', { class: 'muted small' }, op.id),
    ),
    h('td', null, badge(op.status)),
    h(
      'td',
      { class: 'progress-cell' },
      h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': String(total || 100), 'aria-valuenow': String(total ? done : pct) }, bar),
      h('div', { class: 'small muted' }, total ? `${done} / ${total}` : ''),
      h(
        'div',
        { class: 'counts' },
        countsOf(op).map(([status, n]) => badge(`${n} ${outcomeLabel(status)}`, outcomeTone(status))),
      ),
      errorText(op.error) ? h('div', { class: 'small danger-text' }, errorText(op.error)) : null,
    ),
    h(
      'td',
      null,
      op.status === 'scheduled' ? `runs ${formatTime(op.runAt)}` : formatTime(op.runAt),
      op.attempts ? h('div', { class: 'muted small' }, `${op.attempts} attempt${op.attempts === 1 ? '' : 's'}`) : null,
    ),
    h('td', { class: 'row-actions' }, cancellable ? cancel : null),
  );
}

/** `#/instances/:id/operations`. */
export function operationsPage({ params, main, signal }: PageContext): void {
  const [id] = params;
  const base = `/api/instances/${seg(id)}`;
  const area = h('div');
  let unavailable = false;

  const refresh = async () => {
    if (unavailable) return;
    try {
      const body = await api<{ operations: Operation[] } | Operation[]>('GET', `${base}/operations`, undefined, { signal });
      const operations = Array.isArray(body) ? body : (body.operations ?? []);
      if (operations.length === 0)
        return mount(area, h('div', { class: 'card empty' }, h('p', null, 'No operations. Paced actions (group creation, large adds) appear here while they wait or run.')));
      mount(
        area,
        h(
          'div',
          { class: 'card card-flush' },
          h(
            'table',
            { class: 'table', id: 'operations-table' },
            h('thead', null, h('tr', null, h('th', null, 'Operation'), h('th', null, 'Status'), h('th', null, 'Progress'), h('th', null, 'When'), h('th', null, ''))),
            h(
              'tbody',
              null,
              operations.map((op) => operationRow(base, op, refresh)),
            ),
          ),
        ),
      );
    } catch (err) {
      if (signal.aborted) return;
      if (isMissingRoute(err)) {
        unavailable = true;
        mount(area, notice('Operations are not available on this server version: every action runs at once.', 'info'));
      } else mount(area, notice(errorMessage(err)));
    }
  };

  mount(
    main,
    h(
      'div',
      { class: 'page-head' },
      link(`/instances/${id}`, '← Instance'),
      h('h1', null, 'Operations'),
      h('p', { class: 'muted' }, 'Scheduled and running paced operations. Pacing keeps the number safe from WhatsApp’s automation limits.'),
    ),
    area,
  );
  every(2000, refresh, signal);
  subscribeLive((event) => {
    if (event.instanceId === id && event.type.startsWith('operation.')) void refresh();
  }, signal);
}
