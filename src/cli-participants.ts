/**
 * `groupgate participants add|remove`: people from a CSV's `phone` column (or the command line)
 * into or out of a group, through a running server. Numbers are checked here first: a line that is
 * not a number is reported by its line number and skipped, the rest go on. Adds are paced by the
 * server; a progress bar shows counts per outcome and when the next batch is due. Each request
 * carries an Idempotency-Key derived from its content, so running the same command again (after
 * Ctrl-C, a lost connection, a server restart) resumes the same operation instead of adding anyone twice.
 */
import { createHash } from 'node:crypto';
import { SingleBar } from 'cli-progress';
import { parse } from 'csv-parse/sync';
import type { Outcome } from '@groupgate/client';
import { normalizePhone, phoneCountry } from './core/common/phone.js';
import { ApiRefusal, call, CliError, type Connection } from './cli-io.js';

/** Most people per request (the API's list limit is 1024). */
const CHUNK = 1000;
const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

export interface PhoneLine {
  /** 1-based line of the file (or position on the command line). */
  line: number;
  input: string;
  /** `+<E.164 digits>`, when it is a number. */
  phone?: string;
}

/**
 * Reads the `phone` column of a CSV (a header row names it; quoted fields, BOM and CRLF allowed),
 * one entry per non-empty line with its line number. Blank phones are skipped.
 */
export function readPhoneColumn(csv: string): PhoneLine[] {
  let rows: { record: Record<string, string>; info: { lines: number } }[];
  try {
    rows = parse(csv, {
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      info: true,
    }) as unknown as typeof rows;
  } catch (err) {
    throw new CliError(`the CSV cannot be read: ${(err as Error).message}`, 2);
  }
  if (rows.length > 0 && !('phone' in rows[0]!.record)) throw new CliError('the CSV needs a header row with a "phone" column', 2);
  if (rows.length === 0 && !/(^|,)\s*"?phone"?\s*(,|$)/im.test(csv.split(/\r?\n/)[0] ?? '')) throw new CliError('the CSV needs a header row with a "phone" column', 2);
  return rows.filter((r) => (r.record.phone ?? '') !== '').map((r) => ({ line: r.info.lines, input: r.record.phone! }));
}

/**
 * Checks every entry as the server would (`+55 11 98888-1234`, `0055...`, national numbers in the
 * instance's country); duplicates after normalisation are dropped.
 */
export function checkPhones(lines: PhoneLine[], instancePhone: string | null): { ok: PhoneLine[]; refused: PhoneLine[] } {
  const defaultCountry = phoneCountry(instancePhone);
  const seen = new Set<string>();
  const ok: PhoneLine[] = [];
  const refused: PhoneLine[] = [];
  for (const l of lines) {
    const digits = normalizePhone(l.input, { defaultCountry });
    if (!digits) refused.push(l);
    else if (!seen.has(digits)) {
      seen.add(digits);
      ok.push({ ...l, phone: `+${digits}` });
    }
  }
  return { ok, refused };
}

export interface ParticipantsOptions {
  group: string;
  file?: string;
  numbers: string[];
  invite: boolean;
  interval: number;
}

/** Counts per outcome, `added 9 · invited 1`. */
export function countsLine(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(' · ');
}

/** Runs `participants add` or `participants remove`; resolves to the exit code. */
export async function participantsRun(conn: Connection, verb: 'add' | 'remove', instance: { id: string; phone: string | null }, options: ParticipantsOptions): Promise<number> {
  const { io } = conn;
  let lines: PhoneLine[];
  let where: string;
  if (options.file) {
    let text: string;
    try {
      text = await io.readFile(options.file);
    } catch (err) {
      throw new CliError(`cannot read ${options.file}: ${(err as Error).message}`, 2);
    }
    lines = readPhoneColumn(text);
    where = options.file;
  } else {
    lines = options.numbers.map((input, i) => ({ line: i + 1, input }));
    where = 'argument';
  }
  const { ok, refused } = checkPhones(lines, instance.phone);
  for (const r of refused)
    io.stderr.write(
      `${where === 'argument' ? `argument ${r.line}` : `${where} line ${r.line}`}: ${JSON.stringify(r.input)} is not a phone number; skipped (write it with its country code, e.g. +55 11 98888-1234)\n`,
    );
  if (ok.length === 0)
    throw new CliError(refused.length ? 'no usable phone number: nothing to do' : 'no phone numbers given: --file members.csv (a "phone" column) or numbers after the group', 2);

  const groupPath = { id: instance.id, groupId: options.group };
  const outcomes: Outcome[] = [];
  let failed = false;
  let interrupted = false;
  const removeInterrupt = io.onInterrupt(() => {
    interrupted = true;
  });
  const bar = new SingleBar({
    stream: io.stderr,
    format: '[{bar}] {value}/{total}  {counts}{next}',
    barsize: 30,
    barCompleteChar: '#',
    barIncompleteChar: '.',
    hideCursor: false,
    noTTYOutput: true,
    notTTYSchedule: 1000,
    clearOnComplete: false,
    stopOnComplete: false,
  });
  if (!conn.json) bar.start(ok.length, 0, { counts: '', next: '' });
  const show = (done: number, counts: Record<string, number>, next = '') => {
    if (!conn.json) bar.update(done, { counts: countsLine(counts), next });
  };
  const merged = (extra: Record<string, number> = {}) => {
    const counts: Record<string, number> = {};
    for (const o of outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
    for (const [k, v] of Object.entries(extra)) counts[k] = (counts[k] ?? 0) + v;
    return counts;
  };
  let operationId: string | undefined;

  try {
    for (let start = 0; start < ok.length; start += CHUNK) {
      const chunk = ok.slice(start, start + CHUNK).map((l) => l.phone!);
      const idempotencyKey = `gg-cli-${verb}-${createHash('sha256')
        .update(`${instance.id}\n${options.group}\n${start}\n${chunk.join('\n')}`)
        .digest('hex')
        .slice(0, 40)}`;
      const headers = { 'idempotency-key': idempotencyKey };
      if (verb === 'remove') {
        const answer = await call(conn, 'remove participants', () =>
          conn.client.DELETE('/api/instances/{id}/groups/{groupId}/participants', { params: { path: groupPath }, body: { participants: chunk }, headers }),
        ).catch(acceptAllSame);
        if ('retryInProgress' in answer) throw new CliError('the same removal is still running on the server: run the command again in a moment');
        outcomes.push(...(answer.data as { outcomes: Outcome[] }).outcomes);
        show(outcomes.length, merged());
        continue;
      }
      const body = { participants: chunk, ...(options.invite ? {} : { inviteOnPrivacyRefusal: false }) };
      const post = () =>
        call(conn, 'add participants', () => conn.client.POST('/api/instances/{id}/groups/{groupId}/participants', { params: { path: groupPath }, body, headers }));
      let answer = await post().catch(acceptAllSame);
      while ('retryInProgress' in answer) {
        if (interrupted) break;
        await io.sleep(options.interval);
        answer = await post().catch(acceptAllSame);
      }
      if ('retryInProgress' in answer) break;
      const data = (answer as { data: unknown }).data as { outcomes?: Outcome[]; operation?: Operation };
      if (data.outcomes) {
        outcomes.push(...data.outcomes);
        show(outcomes.length, merged());
        continue;
      }
      let op = data.operation!;
      operationId = op.id;
      for (;;) {
        show(outcomes.length + op.progress.done, merged(op.progress.counts ?? {}), FINAL.has(op.status) ? '' : nextBatch(op, io.now()));
        if (FINAL.has(op.status)) break;
        if (!interrupted) await io.sleep(options.interval);
        if (interrupted) {
          if (!conn.json) bar.stop();
          io.stderr.write(`\ninterrupted: the server keeps adding (operation ${op.id}); run the same command again to resume watching\n`);
          return 130;
        }
        const polled = await call(conn, 'read the operation', () =>
          conn.client.GET('/api/instances/{id}/operations/{opId}', { params: { path: { id: instance.id, opId: op.id } } }),
        );
        op = polled.data as Operation;
      }
      if (op.status !== 'succeeded') {
        failed = true;
        const error = op.error as { code?: string; message?: string } | undefined;
        io.stderr.write(`\noperation ${op.id} ${op.status}${error ? `: ${error.code} ${error.message}` : ''}\n`);
      }
      outcomes.push(...(((op.result as { outcomes?: Outcome[] } | undefined)?.outcomes ?? []) as Outcome[]));
    }
  } finally {
    removeInterrupt();
    if (!conn.json) bar.stop();
  }
  if (interrupted) {
    io.stderr.write('\ninterrupted: run the same command again to resume\n');
    return 130;
  }
  const counts = merged();
  if (conn.json) {
    conn.printJson({
      group: options.group,
      total: ok.length,
      counts,
      outcomes,
      refused: refused.map((r) => ({ line: r.line, input: r.input })),
      ...(operationId ? { operation: operationId } : {}),
    });
  } else {
    io.stderr.write(`${ok.length}/${ok.length} done  ${countsLine(counts)}\n`);
    io.stdout.write(summaryTable(outcomes, ok.length, verb));
    if (refused.length)
      io.stdout.write(`\nskipped ${refused.length} line${refused.length > 1 ? 's' : ''} that ${refused.length > 1 ? 'are' : 'is'} not a phone number (listed above)\n`);
  }
  return failed ? 1 : 0;
}

type Operation = {
  id: string;
  status: string;
  runAt: string;
  progress: { done: number; total: number; counts?: Record<string, number> };
  result?: unknown;
  error?: unknown;
};

/** When the next batch is due: ` · next batch in 42 s (10:05:41)`. */
export function nextBatch(op: Operation, now: number): string {
  if (op.status !== 'scheduled') return op.status === 'running' ? ' · adding a batch now' : '';
  const at = Date.parse(op.runAt);
  const seconds = Math.max(0, Math.round((at - now) / 1000));
  return ` · next batch in ${seconds} s (${new Date(at).toISOString().slice(11, 19)} UTC)`;
}

/**
 * A 409 that refuses the whole request because every person already is (or is not) in the group
 * still carries the outcomes: that is a result, not a failure. An idempotent request still running
 * is waited for.
 */
function acceptAllSame(err: unknown): { data: { outcomes: Outcome[] } } | { retryInProgress: true } {
  if (err instanceof ApiRefusal && err.status === 409) {
    if (err.code === 'idempotency_in_progress') return { retryInProgress: true };
    const outcomes = (err.details as { outcomes?: Outcome[] } | undefined)?.outcomes;
    if (outcomes) return { data: { outcomes } };
  }
  throw err;
}

/** The final table: one row per outcome, then who was not added (or removed). */
export function summaryTable(outcomes: Pick<Outcome, 'participant' | 'status' | 'inviteSent'>[], total: number, verb: 'add' | 'remove' = 'add'): string {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
  const rows = Object.entries(counts).sort(([, a], [, b]) => b - a);
  const lines = ['outcome              count', '-------------------- -----'];
  for (const [status, n] of rows) lines.push(`${status.padEnd(20)} ${String(n).padStart(5)}`);
  lines.push('-------------------- -----', `${'total'.padEnd(20)} ${String(outcomes.length).padStart(5)}${outcomes.length === total ? '' : ` of ${total}`}`);
  const goal = verb === 'add' ? 'added' : 'removed';
  const missed = outcomes.filter((o) => o.status !== goal);
  if (missed.length) {
    lines.push('', `not ${goal}:`);
    for (const o of missed.slice(0, 50)) lines.push(`  ${o.participant.padEnd(20)} ${o.status}${o.inviteSent ? ' (invite sent)' : ''}`);
    if (missed.length > 50) lines.push(`  ... and ${missed.length - 50} more`);
  }
  return `${lines.join('\n')}\n`;
}
