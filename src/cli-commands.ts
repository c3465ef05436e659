/**
 * The operator's commands over the native API: instances, linking a number, groups, the live
 * event stream and API keys. Each prints a short table or sentence, or JSON under `--json`.
 */
import QRCode from 'qrcode';
import { call, CliError, table, type Connection } from './cli-io.js';

type Conn = Connection;

const instanceRow = (i: { id: string; name: string; engine: string; status: string; phone: string | null; idInstance: string }) => [
  i.id,
  i.name,
  i.engine,
  i.status,
  i.phone ? `+${i.phone}` : '',
  i.idInstance,
];

export async function instancesList(conn: Conn): Promise<number> {
  const { data } = await call(conn, 'list instances', () => conn.client.GET('/api/instances'));
  if (conn.json) conn.printJson(data.instances);
  else
    conn.say(
      data.instances.length
        ? table(['ID', 'NAME', 'ENGINE', 'STATUS', 'PHONE', 'ID_INSTANCE'], data.instances.map(instanceRow))
        : 'no instances yet: groupgate instances create <name> --engine sandbox',
    );
  return 0;
}

export async function instancesCreate(conn: Conn, name: string | undefined, options: { engine: 'sandbox' | 'baileys'; phone?: string }): Promise<number> {
  const body = { engine: options.engine, ...(name ? { name } : {}), ...(options.phone ? { phone: options.phone } : {}) };
  const { data } = await call(conn, 'create the instance', () => conn.client.POST('/api/instances', { body }));
  if (conn.json) conn.printJson(data);
  else {
    conn.say(table(['ID', 'NAME', 'ENGINE', 'STATUS', 'PHONE', 'ID_INSTANCE'], [instanceRow(data)]));
    conn.say(`\ninstance token (shown once): ${data.token}`);
    if (data.engine === 'baileys') conn.say(`link a WhatsApp number: groupgate link ${data.id}`);
  }
  return 0;
}

export async function instancesDelete(conn: Conn, instance: { id: string; name: string }, yes: boolean): Promise<number> {
  if (!yes) throw new CliError(`deleting "${instance.name}" (${instance.id}) logs it out and keeps nothing: add --yes to confirm`, 2);
  await call(conn, 'delete the instance', () => conn.client.DELETE('/api/instances/{id}', { params: { path: { id: instance.id } } }));
  if (conn.json) conn.printJson({ deleted: true, id: instance.id });
  else conn.say(`deleted ${instance.name} (${instance.id})`);
  return 0;
}

/**
 * Links a WhatsApp number: shows each QR in the terminal until the phone scans it (or prints a
 * pairing code for `--pairing-phone`), and waits until the instance is connected.
 */
export async function link(conn: Conn, instance: { id: string }, options: { pairingPhone?: string; timeout: number; interval: number }): Promise<number> {
  const path = { params: { path: { id: instance.id } } };
  const deadline = conn.io.now() + options.timeout * 1000;
  let shownQr = '';
  let pairingAsked = false;
  for (;;) {
    const { data: inst } = await call(conn, 'read the instance', () => conn.client.GET('/api/instances/{id}', path));
    if (inst.status === 'connected') {
      if (conn.json) conn.printJson({ connected: true, id: inst.id, phone: inst.phone });
      else conn.say(`connected: ${inst.name} is +${inst.phone}`);
      return 0;
    }
    if (inst.status === 'logged_out' || inst.status === 'failed' || (inst.status === 'disconnected' && /QR not scanned/i.test(inst.statusReason))) {
      throw new CliError(`${inst.name} is ${inst.status} (${inst.statusReason}): restart it for a new QR (POST /api/instances/${inst.id}/restart), then run groupgate link again`);
    }
    if (inst.status === 'qr' && options.pairingPhone && !pairingAsked) {
      const { data } = await call(conn, 'get a pairing code', () => conn.client.POST('/api/instances/{id}/pairing-code', { ...path, body: { phone: options.pairingPhone! } }));
      pairingAsked = true;
      if (conn.json) conn.printJson({ pairingCode: data.code });
      else conn.say(`On the phone: WhatsApp > Linked devices > Link a device > Link with phone number instead, and type ${data.code}`);
    } else if (inst.status === 'qr' && !options.pairingPhone) {
      const qr = await call(conn, 'read the QR', () => conn.client.GET('/api/instances/{id}/qr', path)).catch(() => undefined);
      const payload = qr?.data.qr;
      if (payload && payload !== shownQr) {
        shownQr = payload;
        if (conn.json) conn.printJson({ qr: payload });
        else
          conn.say(
            `${await QRCode.toString(payload, { type: 'terminal', small: true })}\nOn the phone: WhatsApp > Settings > Linked devices > Link a device, and scan (the QR changes every 20 s).`,
          );
      }
    }
    if (conn.io.now() >= deadline) throw new CliError(`not connected after ${options.timeout} s (status ${inst.status}); run groupgate link again`);
    await conn.io.sleep(options.interval);
  }
}

const groupRow = (g: { id: string; name: string; size: number; myRole: string; settings: { announcement: boolean; locked: boolean; approvalMode: boolean } }) => [
  g.id,
  g.name,
  g.size,
  g.myRole,
  [g.settings.announcement ? 'announcement' : '', g.settings.locked ? 'locked' : '', g.settings.approvalMode ? 'approval' : ''].filter(Boolean).join(','),
];

export async function groupsList(conn: Conn, instance: { id: string }, options: { search?: string; limit: number; offset: number }): Promise<number> {
  const { data } = await call(conn, 'list groups', () =>
    conn.client.GET('/api/instances/{id}/groups', { params: { path: { id: instance.id }, query: { search: options.search, limit: options.limit, offset: options.offset } } }),
  );
  if (conn.json) conn.printJson(data);
  else {
    conn.say(data.groups.length ? table(['ID', 'NAME', 'SIZE', 'ROLE', 'SETTINGS'], data.groups.map(groupRow)) : 'no groups');
    if (data.total > data.groups.length) conn.say(`\n${data.groups.length} of ${data.total}: --offset ${data.offset + data.groups.length} for more`);
  }
  return 0;
}

export async function groupsShow(conn: Conn, instance: { id: string }, groupId: string): Promise<number> {
  const { data: g } = await call(conn, 'read the group', () => conn.client.GET('/api/instances/{id}/groups/{groupId}', { params: { path: { id: instance.id, groupId } } }));
  if (conn.json) {
    conn.printJson(g);
    return 0;
  }
  conn.say(`${g.name}  (${g.id})`);
  if (g.description) conn.say(g.description);
  conn.say(
    `${g.size} participants · you are ${g.myRole} · ${Object.entries(g.settings)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}\n`,
  );
  conn.say(
    table(
      ['PHONE', 'ROLE', 'JID'],
      g.participants.map((p) => [p.phone ?? p.lid ?? '', p.role, p.jid]),
    ),
  );
  return 0;
}

export async function groupsCreate(conn: Conn, instance: { id: string }, name: string, numbers: string[], options: { description?: string }): Promise<number> {
  if (numbers.length === 0) throw new CliError('give at least one participant after the name: groupgate groups create <instance> "Customers" +55 11 98888-1234 ...', 2);
  const answer = await call(conn, 'create the group', () =>
    conn.client.POST('/api/instances/{id}/groups', {
      params: { path: { id: instance.id } },
      body: { name, participants: numbers, ...(options.description ? { description: options.description } : {}) },
    }),
  );
  const data = answer.data as { id?: string; name?: string; outcomes?: { participant: string; status: string; inviteSent: boolean }[]; operation?: { id: string; runAt: string } };
  if (conn.json) conn.printJson(data);
  else if (data.operation) {
    conn.say(`paced: the group will be created at ${data.operation.runAt} (operation ${data.operation.id}); GET ${answer.response.headers.get('location') ?? ''} shows it`);
  } else {
    conn.say(`created ${data.name} (${data.id})`);
    conn.say(
      table(
        ['PARTICIPANT', 'OUTCOME'],
        (data.outcomes ?? []).map((o) => [o.participant, `${o.status}${o.inviteSent ? ' (invite sent)' : ''}`]),
      ),
    );
  }
  return 0;
}

/** Follows the live event stream (SSE), reconnecting from the last event after a restart. */
export async function eventsTail(conn: Conn, instance: { id: string } | undefined, options: { after?: string; limit?: number }): Promise<number> {
  let last = options.after;
  let seen = 0;
  let stop = false;
  const controller = new AbortController();
  const removeInterrupt = conn.io.onInterrupt(() => {
    stop = true;
    controller.abort();
  });
  try {
    while (!stop) {
      const url = `${conn.url}/api/events/stream${last ? `?after=${encodeURIComponent(last)}` : ''}`;
      let res: Response;
      try {
        res = await conn.io.fetch(url, { headers: { authorization: `Bearer ${conn.key}`, accept: 'text/event-stream' }, signal: controller.signal });
      } catch (err) {
        if (stop) break;
        conn.io.stderr.write(
          `the server at ${conn.url} does not answer (${(err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message}); reconnecting...\n`,
        );
        await conn.io.sleep(2_000);
        continue;
      }
      if (!res.ok || !res.body) {
        const text = await res.text().catch(() => '');
        throw new CliError(`the event stream was refused: ${res.status} ${text}`);
      }
      let buffer = '';
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block
              .split('\n')
              .filter((l) => l.startsWith('data:'))
              .map((l) => l.slice(5).trimStart())
              .join('\n');
            if (!data) continue;
            const event = JSON.parse(data) as { id: string; type: string; instanceId: string; occurredAt: string; data: Record<string, unknown> };
            last = event.id;
            if (instance && event.instanceId !== instance.id) continue;
            if (conn.json) conn.printJson(event);
            else conn.say(`${event.occurredAt}  ${event.instanceId}  ${event.type.padEnd(32)} ${describe(event.data)}`);
            if (options.limit && ++seen >= options.limit) {
              stop = true;
              controller.abort();
              break;
            }
          }
          if (stop) break;
        }
      } catch (err) {
        if (stop) break;
        conn.io.stderr.write(`the event stream was cut (${(err as Error).message}); reconnecting...\n`);
      }
      if (!stop) await conn.io.sleep(1_000);
    }
  } finally {
    removeInterrupt();
  }
  return 0;
}

function describe(data: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof data.groupId === 'string') parts.push(data.groupId);
  if (typeof data.name === 'string') parts.push(`"${data.name}"`);
  if (typeof data.status === 'string') parts.push(data.status);
  if (Array.isArray(data.participants))
    parts.push(data.participants.map((p) => (p as { phone?: string; jid?: string }).phone ?? (p as { jid?: string }).jid ?? String(p)).join(', '));
  return parts.join('  ');
}

export async function keysList(conn: Conn): Promise<number> {
  const { data } = await call(conn, 'list API keys', () => conn.client.GET('/api/keys'));
  if (conn.json) conn.printJson(data.keys);
  else
    conn.say(
      data.keys.length
        ? table(
            ['ID', 'NAME', 'INSTANCES', 'CREATED'],
            data.keys.map((k) => [k.id, k.name, k.instances ? k.instances.join(',') : 'all', k.createdAt]),
          )
        : 'no API keys yet: groupgate keys create <name>',
    );
  return 0;
}

export async function keysCreate(conn: Conn, name: string, instances: string[] | undefined): Promise<number> {
  const { data } = await call(conn, 'create the API key', () => conn.client.POST('/api/keys', { body: { name, ...(instances?.length ? { instances } : {}) } }));
  if (conn.json) conn.printJson(data);
  else conn.say(`created ${data.name} (${data.id}), ${data.instances ? `for ${data.instances.join(', ')}` : 'for every instance'}\nkey (shown once): ${data.key}`);
  return 0;
}

export async function keysRotate(conn: Conn, id: string): Promise<number> {
  const { data } = await call(conn, 'rotate the API key', () => conn.client.POST('/api/keys/{id}/rotate', { params: { path: { id } } }));
  if (conn.json) conn.printJson(data);
  else conn.say(`rotated ${data.name} (${data.id})\nnew key (shown once): ${data.key}`);
  return 0;
}

export async function keysDelete(conn: Conn, id: string): Promise<number> {
  await call(conn, 'delete the API key', () => conn.client.DELETE('/api/keys/{id}', { params: { path: { id } } }));
  if (conn.json) conn.printJson({ deleted: true, id });
  else conn.say(`deleted API key ${id}`);
  return 0;
}
