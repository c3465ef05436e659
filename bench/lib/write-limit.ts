/**
 * The write limit of a create or a participant change: a bare Fastify server answering the same
 * requests by making the same durable writes straight through the driver, with nothing of the app
 * between the socket and the database. It runs on the schema, instance and group the real app made
 * (booted once on a fresh place, then closed), and writes the rows a create or a change must leave:
 *
 * - create: the instance's event counter, the group, its four participants, the `group.created`
 *   event and the sandbox's record of the group (the emulator's state, as WhatsApp's server would
 *   keep it);
 * - change: the participant row, the group's size, the event counter, the event, and the sandbox's
 *   account and group records.
 *
 * Every request waiting in one turn of the event loop is written in one transaction (group commit,
 * as the app's store does), committed before any of them is answered, with the app's own pragmas
 * on SQLite. No validation, no pacing, no cache, no engine, no idempotency, no metrics: what is left
 * is the HTTP server, JSON and the writes, so the app's figure divided by this one is the share of
 * the physically possible that it reaches on this machine in this run.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import pg from 'pg';
import { jidToPhone, phoneToJid } from '../../src/core/common/phone.js';
import { benchGroup, benchInstance, benchPhone, startServer, type Place } from './server.js';

export type LimitKind = 'create' | 'change';

interface Writer {
  /**
   * Makes the writes `work` asks for, every item of a batch in one transaction, committed before it
   * resolves. `write` queues a statement; `event` appends an event with the instance's next number.
   */
  batch(work: (write: Write, event: AppendEvent) => void): Promise<void>;
  /** One query's rows, outside any batch (set-up only). */
  read(text: string, params: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}
type Write = (text: string, params: unknown[]) => void;
/** `[instance id, event id, type, occurred at, data]` */
type AppendEvent = (params: [string, string, string, string, string]) => void;

/** SQLite with the app's pragmas (WAL, synchronous=NORMAL), statements prepared once. */
function sqliteWriter(file: string): Writer {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  const statements = new Map<string, Database.Statement>();
  const prepared = (text: string) => {
    let statement = statements.get(text);
    if (!statement) statements.set(text, (statement = db.prepare(text)));
    return statement;
  };
  const write: Write = (text, params) => void prepared(text).run(...params);
  const event: AppendEvent = ([instanceId, ...rest]) => {
    const { last_seq: seq } = prepared(SEQ).get(instanceId) as { last_seq: number };
    prepared(EVENT).run(instanceId, seq, ...rest);
  };
  return {
    async batch(work) {
      db.transaction(() => work(write, event))();
    },
    read: async (text, params) => prepared(text).all(...params) as Record<string, unknown>[],
    async close() {
      db.close();
    },
  };
}

/**
 * PostgreSQL, one connection: a batch is one round trip, its statements sent together as one
 * multi-statement query (values inlined as escaped literals) between begin and commit, the event's
 * number taken by the counter update in the same statement. Nothing on this path waits for a reply
 * between two statements, which no app that reads back what it wrote can do.
 */
function postgresWriter(place: Place): Writer {
  const client = new pg.Client({ connectionString: place.pgUrl, options: `-c search_path=${place.schema}` });
  const connected = client.connect();
  const literal = (value: unknown) => (value === null ? 'null' : typeof value === 'number' ? String(value) : client.escapeLiteral(String(value)));
  const inline = (text: string, params: unknown[]) => {
    let n = 0;
    return text.replace(/\?/g, () => literal(params[n++]));
  };
  return {
    async batch(work) {
      await connected;
      const sql = ['begin'];
      work(
        (text, params) => sql.push(inline(text, params)),
        ([instanceId, ...rest]) =>
          sql.push(
            inline(`with s as (${SEQ}) insert into events (instance_id, seq, id, type, occurred_at, data) select ?, s.last_seq, ?, ?, ?, ? from s`, [
              instanceId,
              instanceId,
              ...rest,
            ]),
          ),
      );
      sql.push('commit');
      await client.query(sql.join(';\n'));
    },
    async read(text, params) {
      await connected;
      return (await client.query(inline(text, params))).rows as Record<string, unknown>[];
    },
    close: () => client.end(),
  };
}

const SEQ = 'update instances set last_seq = last_seq + 1 where id = ? returning last_seq';
const EVENT = 'insert into events (instance_id, seq, id, type, occurred_at, data) values (?, ?, ?, ?, ?, ?)';
const GROUP =
  'insert into groups (instance_id, group_id, subject, description, owner, created_at, subject_owner, subject_time, announcement, locked, member_add_mode, approval_mode, ephemeral_seconds, my_role, invite_code, size, addressing_mode, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const PARTICIPANTS = (n: number) =>
  `insert into group_participants (instance_id, group_id, pkey, phone_jid, lid, role, position) values ${Array.from({ length: n }, () => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`;
const REMOVE = 'delete from group_participants where instance_id = ? and group_id = ? and pkey = ?';
const SIZE = 'update groups set size = size + ?, updated_at = ? where instance_id = ? and group_id = ?';
const SANDBOX_GROUP = 'insert into sandbox_groups (id, data) values (?, ?) on conflict (id) do update set data = excluded.data';
const SANDBOX_ACCOUNT = 'insert into sandbox_accounts (phone, data) values (?, ?) on conflict (phone) do update set data = excluded.data';

const jidOf = (phone: string) => phoneToJid(phone.replace(/^\+/, ''));
const lid = () => `${100_000_000_000_000 + Math.floor(Math.random() * 8e14)}@lid`;
const person = (jid: string, personLid: string) => ({ jid, phone: `+${jidToPhone(jid)}`, lid: personLid });

/**
 * Boots the app once on `place` to make the schema, the instance and a group, closes it, and serves
 * the limit on the same data. Answers the URL and the instance, as the app child does.
 */
export async function startWriteLimit(place: Place, kind: LimitKind) {
  const app = await startServer(place);
  const instance = await benchInstance(app.app);
  const groupId = await benchGroup(app.app, instance.id);
  await app.close(false);

  const writer = place.db === 'sqlite' ? sqliteWriter(join(place.dir!, 'groupgate.db')) : postgresWriter(place);
  const owner = jidOf(instance.phone);
  const ownerLid = lid();
  // The sandbox's records keep the shapes the emulator saved for the group made above.
  const record = async (text: string, key: string) => JSON.parse(String((await writer.read(text, [key]))[0]!.data)) as Record<string, unknown>;
  const template = await record('select data from sandbox_groups where id = ?', groupId);
  const account = await record('select data from sandbox_accounts where phone = ?', benchPhone(1).slice(1));
  const members = new Map<string, { phone: string; role: string }>((template.participants as { phone: string; role: string }[]).map((p) => [p.phone, p]));
  let serial = BigInt(String(template.id).split('@')[0]!);

  type Work = (write: Write, event: (type: string, data: unknown) => void) => unknown;
  type Item = { work: Work; answer: (body: unknown) => void; fail: (error: unknown) => void };
  let waiting: Item[] = [];
  let writing = false;
  const flush = async () => {
    while (waiting.length > 0) {
      const items = waiting;
      waiting = [];
      const answers: unknown[] = [];
      try {
        await writer.batch((write, append) => {
          const event = (type: string, data: unknown) => append([instance.id, randomBytes(13).toString('hex'), type, new Date().toISOString(), JSON.stringify(data)]);
          for (const item of items) answers.push(item.work(write, event));
        });
        items.forEach((item, i) => item.answer(answers[i]));
      } catch (error) {
        for (const item of items) item.fail(error);
      }
    }
    writing = false;
  };
  const enqueue = (work: Work) =>
    new Promise<unknown>((answer, fail) => {
      waiting.push({ work, answer, fail });
      if (!writing) {
        writing = true;
        setImmediate(() => void flush());
      }
    });

  const server = Fastify({ logger: false });
  server.post<{ Body: { name: string; participants: string[] } }>('/api/instances/:id/groups', async (req, reply) => {
    const body = await enqueue((write, event) => {
      serial += BigInt(1 + Math.floor(Math.random() * 64));
      const id = `${serial}@g.us`;
      const now = new Date().toISOString();
      const people = [{ ...person(owner, ownerLid), role: 'superadmin' }, ...req.body.participants.map((p) => ({ ...person(jidOf(p), lid()), role: 'member' }))];
      write(SANDBOX_GROUP, [id, JSON.stringify({ ...template, id, subject: req.body.name, participants: people.map((p) => ({ phone: p.phone.slice(1), role: p.role })) })]);
      write(GROUP, [instance.id, id, req.body.name, '', owner, now, owner, now, 0, 1, 'admins', 0, 0, 'superadmin', null, people.length, 'lid', now]);
      write(
        PARTICIPANTS(people.length),
        people.flatMap((p, i) => [instance.id, id, p.jid, p.jid, p.lid, p.role, i]),
      );
      event('group.created', { groupId: id, name: req.body.name, reason: 'created', actor: person(owner, ownerLid), size: people.length, participants: people });
      return { id, name: req.body.name, description: '', owner, createdAt: now, size: people.length, participants: people };
    });
    return reply.code(201).send(body);
  });
  const change = (add: boolean) => async (req: { body: { participants: string[] } }) =>
    enqueue((write, event) => {
      const phone = req.body.participants[0]!.replace(/^\+/, '');
      const jid = phoneToJid(phone);
      const now = new Date().toISOString();
      if (add) {
        members.set(phone, { phone, role: 'member' });
        write(PARTICIPANTS(1), [instance.id, groupId, jid, jid, lid(), 'member', members.size]);
      } else {
        members.delete(phone);
        write(REMOVE, [instance.id, groupId, jid]);
      }
      write(SIZE, [add ? 1 : -1, now, instance.id, groupId]);
      write(SANDBOX_ACCOUNT, [phone, JSON.stringify({ ...account, phone, removedFrom: add ? [] : [groupId] })]);
      write(SANDBOX_GROUP, [groupId, JSON.stringify({ ...template, participants: [...members.values()] })]);
      const people = [person(jid, '')];
      event(add ? 'group.participants.added' : 'group.participants.removed', { groupId, participants: people, actor: person(owner, ownerLid) });
      return { participants: [{ ...people[0], status: add ? 'added' : 'removed' }] };
    });
  server.post('/api/instances/:id/groups/:groupId/participants', change(true) as never);
  server.delete('/api/instances/:id/groups/:groupId/participants', change(false) as never);
  await server.listen({ host: '127.0.0.1', port: 0 });
  const address = server.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    info: { url, instance, groupId, routes: { webhooks: false, pacing: instance.pacing }, kind },
    async stop() {
      await server.close();
      await writer.close();
      await app.close(true);
    },
  };
}
