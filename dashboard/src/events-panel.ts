/**
 * The live events panel. It reads the server's event stream (`GET /api/events/stream`, Server-Sent
 * Events read with fetch so the key travels in a header); a server without the stream is polled
 * instead (`GET /api/instances/{id}/events?after=<seq>` every 2 s), so the panel works either way.
 * Pages can subscribe to the same events to refresh themselves.
 */
import { api, authHeaders, type Instance, type LiveEvent, seg } from './api';
import { h, mount } from './dom';
import { summarize } from './event-summary';

type Listener = (event: LiveEvent) => void;
const listeners = new Set<Listener>();

/** Calls `listener` for every live event until `signal` aborts. */
export function subscribeLive(listener: Listener, signal: AbortSignal): void {
  listeners.add(listener);
  signal.addEventListener('abort', () => listeners.delete(listener), { once: true });
}

const MAX_ITEMS = 200;
const POLL_MS = 2000;

/** Starts the panel inside `container`; everything stops when `signal` aborts. */
export function startEventsPanel(container: HTMLElement, signal: AbortSignal): void {
  const mode = h('span', { class: 'events-mode', 'data-mode': 'connecting' }, 'connecting…');
  const list = h('ol', { class: 'events-list' });
  const empty = h('p', { class: 'events-empty' }, 'Waiting for events… Changes made here or on WhatsApp appear as they happen.');
  const clear = h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => list.replaceChildren() }, 'Clear');
  mount(container, h('div', { class: 'events-head' }, h('h2', null, 'Live events'), mode, clear), empty, list);

  const names = new Map<string, string>();
  const groupNames = new Map<string, string>();
  const setMode = (key: string, text: string) => {
    mode.dataset.mode = key;
    mode.textContent = text;
  };

  const lookups = new Map<string, Promise<string | undefined>>();
  const groupName = (instanceId: string, groupId: string) => {
    const key = `${instanceId} ${groupId}`;
    let found = lookups.get(key);
    if (!found) {
      found = api<{ name: string }>('GET', `/api/instances/${encodeURIComponent(instanceId)}/groups/${encodeURIComponent(groupId)}`).then(
        (g) => g.name,
        () => undefined,
      );
      lookups.set(key, found);
    }
    return found;
  };

  const seen = new Set<string>();
  const show = (event: LiveEvent) => {
    // A reconnect may resend what was already shown.
    if (event.id) {
      if (seen.has(event.id)) return;
      seen.add(event.id);
      if (seen.size > 5000) seen.clear();
    }
    if (typeof event.data?.name === 'string' && typeof event.data.groupId === 'string') groupNames.set(event.data.groupId, event.data.name);
    empty.remove();
    const time = new Date(event.occurredAt);
    const summary = h('div', { class: 'event-summary' }, summarize(event, groupNames));
    const groupId = typeof event.data?.groupId === 'string' ? event.data.groupId : undefined;
    // An event that names a group only by id shows its name once the store has told it.
    if (groupId && !groupNames.has(groupId))
      void groupName(event.instanceId, groupId).then((name) => {
        if (!name) return;
        groupNames.set(groupId, name);
        summary.textContent = summarize(event, groupNames);
      });
    const item = h(
      'li',
      { class: `event event-${event.type.split('.')[0]}`, 'data-type': event.type, 'data-instance': event.instanceId },
      h(
        'div',
        { class: 'event-head' },
        h('span', { class: 'event-type' }, event.type),
        h('time', { dateTime: event.occurredAt }, Number.isNaN(time.getTime()) ? '' : time.toLocaleTimeString()),
      ),
      summary,
      h('div', { class: 'event-source', 'data-instance': event.instanceId }, names.get(event.instanceId) ?? event.instanceId),
    );
    list.prepend(item);
    while (list.children.length > MAX_ITEMS) list.lastElementChild?.remove();
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // One page's refresh failing must not stop the panel.
      }
    }
  };

  const loadNames = async () => {
    const { instances } = await api<{ instances: Instance[] }>('GET', '/api/instances', undefined, { signal });
    for (const i of instances) names.set(i.id, i.name);
    // Events that arrived before their instance's name was known get it now.
    for (const el of list.querySelectorAll<HTMLElement>('.event-source')) {
      const name = names.get(el.dataset.instance ?? '');
      if (name && el.textContent !== name) el.textContent = name;
    }
    return instances;
  };

  void (async () => {
    await loadNames().catch(() => undefined);
    const streamed = await stream(signal, mode, setMode, (event) => {
      if (!names.has(event.instanceId)) void loadNames().catch(() => undefined);
      show(event);
    });
    if (!streamed && !signal.aborted) poll(signal, mode, setMode, loadNames, show);
  })();
}

/**
 * Reads the SSE stream, reconnecting with `Last-Event-ID` after a drop. Answers false at once when
 * the server has no stream (404), so the caller can poll instead.
 */
async function stream(signal: AbortSignal, mode: HTMLElement, setMode: (key: string, text: string) => void, onEvent: (e: LiveEvent) => void): Promise<boolean> {
  let lastId: string | undefined;
  let delay = 1000;
  while (!signal.aborted) {
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream', ...authHeaders() };
      if (lastId) headers['last-event-id'] = lastId;
      const res = await fetch('/api/events/stream', { headers, signal, cache: 'no-store' });
      if (res.status === 404 && !lastId) return false;
      if (!res.ok || !res.body) {
        setMode('error', res.status === 401 ? 'key refused' : `stream unavailable (${res.status}), retrying`);
      } else {
        setMode('stream', 'live');
        mode.dataset.synced = 'true';
        delay = 1000;
        await readFrames(res.body, (id, event) => {
          if (id) lastId = id;
          onEvent(event);
        });
        if (!signal.aborted) setMode('error', 'reconnecting…');
      }
    } catch {
      if (signal.aborted) return true;
      setMode('error', 'connection lost, reconnecting…');
    }
    await wait(delay, signal);
    delay = Math.min(delay * 2, 30_000);
  }
  return true;
}

/** Parses Server-Sent Events frames; each `data:` payload is one event of the log, as JSON. */
async function readFrames(body: ReadableStream<Uint8Array>, onFrame: (id: string | undefined, event: LiveEvent) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id: string | undefined;
      let name = 'message';
      const data: string[] = [];
      for (const line of frame.split('\n')) {
        if (!line || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = text;
        else if (field === 'event') name = text;
        else if (field === 'data') data.push(text);
      }
      if (data.length === 0) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(data.join('\n'));
      } catch {
        continue;
      }
      const record = parsed as Partial<LiveEvent>;
      if (!record || typeof record !== 'object') continue;
      if (typeof record.type !== 'string' && name === 'message') continue;
      onFrame(id ?? record.id, {
        id: record.id ?? id ?? '',
        seq: record.seq ?? 0,
        type: typeof record.type === 'string' ? record.type : name,
        instanceId: record.instanceId ?? '',
        occurredAt: record.occurredAt ?? new Date().toISOString(),
        data: (record.data as Record<string, unknown>) ?? (parsed as Record<string, unknown>),
      });
    }
  }
}

/** Polls every instance's event log. Instances known at start begin at their current end. */
function poll(signal: AbortSignal, mode: HTMLElement, setMode: (key: string, text: string) => void, loadNames: () => Promise<Instance[]>, onEvent: (e: LiveEvent) => void): void {
  const cursors = new Map<string, number>();
  let first = true;
  setMode('poll', 'live (polling)');

  const readAfter = async (id: string, after: number, limit: number) =>
    api<{ events: LiveEvent[]; lastSeq: number }>('GET', `/api/instances/${seg(id)}/events?after=${after}&limit=${limit}`, undefined, { signal });

  const tick = async () => {
    const instances = await loadNames();
    for (const instance of instances) {
      if (!cursors.has(instance.id)) {
        let seq = 0;
        // Skip history for instances that existed when the panel opened; later ones start at 0.
        if (first) {
          for (let page = 0; page < 50; page++) {
            const { events, lastSeq } = await readAfter(instance.id, seq, 1000);
            seq = lastSeq;
            if (events.length < 1000) break;
          }
        }
        cursors.set(instance.id, seq);
      }
      try {
        const { events, lastSeq } = await readAfter(instance.id, cursors.get(instance.id)!, 200);
        for (const event of events) onEvent(event);
        cursors.set(instance.id, lastSeq);
      } catch {
        // Deleted meanwhile, or a transient failure: the next tick tries again.
      }
    }
    if (!first) setMode('poll', 'live (polling)');
    first = false;
    // From here on every new event of every instance is shown.
    mode.dataset.synced = 'true';
  };

  const loop = async () => {
    while (!signal.aborted) {
      try {
        await tick();
      } catch {
        if (signal.aborted) return;
        setMode('error', 'cannot reach the server, retrying…');
      }
      await wait(POLL_MS, signal);
    }
  };
  void loop();
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
