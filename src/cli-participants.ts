/**
 * `groupgate participants add --instance <id> --group <gid> --file members.csv`: adds everyone in a
 * CSV (its `phone` column) through a running server, showing progress per outcome and a summary.
 * Each request carries an Idempotency-Key derived from the file, so running the same command again
 * (after Ctrl-C, a lost connection, a server restart) resumes watching the same operation instead
 * of adding anyone twice.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  fetch: typeof fetch;
  sleep(ms: number): Promise<void>;
  readFile(path: string): Promise<string>;
  /** Registers a Ctrl-C handler; returns its removal. */
  onInterrupt(fn: () => void): () => void;
}

const defaultIo = (): CliIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  fetch: globalThis.fetch,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  readFile: (path) => readFile(path, 'utf8'),
  onInterrupt(fn) {
    process.on('SIGINT', fn);
    return () => process.off('SIGINT', fn);
  },
});

export const PARTICIPANTS_HELP = `groupgate participants add --instance <id> --group <groupId> --file <members.csv>
  [--url <server>] [--key <api key>] [--no-invite] [--interval <seconds>]

Adds every number in the CSV's "phone" column to the group, paced by the server. Server and key
come from --url/--key or GROUPGATE_URL/GROUPGATE_API_KEY. Ctrl-C stops watching (the server goes
on); running the same command again resumes.
`;

/** Most people per request (the API's list limit is 1024). */
const CHUNK = 1000;
const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

interface Outcome {
  participant: string;
  status: string;
  inviteSent: boolean;
}

/** Reads the `phone` column of a CSV (header required; quoted fields allowed); duplicates and blanks dropped. */
export function readPhones(csv: string): string[] {
  const rows = csv
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .map(splitCsvLine);
  const header = rows.shift()?.map((h) => h.trim().toLowerCase()) ?? [];
  const col = header.indexOf('phone');
  if (col < 0) throw new Error('the CSV needs a header row with a "phone" column');
  const seen = new Set<string>();
  const out: string[] = [];
  for (const row of rows) {
    const phone = (row[col] ?? '').trim();
    if (phone && !seen.has(phone)) {
      seen.add(phone);
      out.push(phone);
    }
  }
  return out;
}

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function parseArgs(argv: string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument: ${a}`);
    const [name, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    if (inline !== undefined) out[name] = inline;
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) out[name] = argv[++i]!;
    else out[name] = true;
  }
  return out;
}

function countsLine(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(' · ');
}

/** Runs `groupgate participants ...`; resolves to the exit code. */
export async function participantsCommand(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'add' || rest.includes('--help')) {
    (sub === 'add' || sub === '--help' ? io.stdout : io.stderr).write(PARTICIPANTS_HELP);
    return sub === 'add' || sub === '--help' ? 0 : 1;
  }
  let args: Record<string, string | true>;
  let phones: string[];
  try {
    args = parseArgs(rest);
    for (const required of ['instance', 'group', 'file']) if (typeof args[required] !== 'string') throw new Error(`--${required} is required`);
    phones = readPhones(await io.readFile(args.file as string));
    if (phones.length === 0) throw new Error('the CSV lists no phone numbers');
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n\n${PARTICIPANTS_HELP}`);
    return 2;
  }
  const url = String(args.url ?? io.env.GROUPGATE_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
  const key = (args.key ?? io.env.GROUPGATE_API_KEY) as string | undefined;
  if (!key) {
    io.stderr.write('an API key is required: --key or GROUPGATE_API_KEY\n');
    return 2;
  }
  const instance = args.instance as string;
  const group = args.group as string;
  const intervalMs = Math.max(0, Number(args.interval ?? 2)) * 1000;
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

  let interrupted = false;
  const removeInterrupt = io.onInterrupt(() => {
    interrupted = true;
  });
  const call = async (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) => {
    const res = await io.fetch(url + path, { method, headers: { ...headers, ...extra }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
  };

  const outcomes: Outcome[] = [];
  let failed = false;
  let lastLine = '';
  const show = (done: number, counts: Record<string, number>) => {
    const total = phones.length;
    const width = 30;
    const filled = Math.round((done / total) * width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}  ${countsLine(counts)}`;
    if (line === lastLine) return;
    lastLine = line;
    io.stderr.write(io.stderr.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
  };
  const merged = (extra: Record<string, number> = {}) => {
    const counts: Record<string, number> = {};
    for (const o of outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
    for (const [k, v] of Object.entries(extra)) counts[k] = (counts[k] ?? 0) + v;
    return counts;
  };

  try {
    for (let start = 0; start < phones.length; start += CHUNK) {
      const chunk = phones.slice(start, start + CHUNK);
      const idempotencyKey = `gg-cli-${createHash('sha256')
        .update(`${instance}\n${group}\n${start}\n${chunk.join('\n')}`)
        .digest('hex')
        .slice(0, 40)}`;
      const path = `/api/instances/${encodeURIComponent(instance)}/groups/${encodeURIComponent(group)}/participants`;
      const body = { participants: chunk, ...(args['no-invite'] ? { inviteOnPrivacyRefusal: false } : {}) };
      let res = await call('POST', path, body, { 'idempotency-key': idempotencyKey });
      while (res.status === 409 && res.body.error?.code === 'idempotency_in_progress' && !interrupted) {
        await io.sleep(intervalMs);
        res = await call('POST', path, body, { 'idempotency-key': idempotencyKey });
      }
      if (res.status === 200 || (res.status === 409 && res.body.error?.details?.outcomes)) {
        outcomes.push(...((res.body.outcomes ?? res.body.error.details.outcomes) as Outcome[]));
        show(outcomes.length, merged());
        continue;
      }
      if (res.status !== 202) {
        io.stderr.write(`\nthe server refused: ${res.status} ${res.body.error?.code ?? ''} ${res.body.error?.message ?? ''}\n`);
        return 1;
      }
      const location = res.headers.get('location') ?? `/api/instances/${encodeURIComponent(instance)}/operations/${res.body.operation.id}`;
      let op = res.body.operation;
      for (;;) {
        show(outcomes.length + op.progress.done, merged(op.progress.counts ?? {}));
        if (FINAL.has(op.status)) break;
        if (!interrupted) await io.sleep(intervalMs);
        if (interrupted) {
          io.stderr.write(`\ninterrupted: the server keeps adding (operation ${op.id}); run the same command again to resume watching\n`);
          return 130;
        }
        const polled = await call('GET', location);
        if (polled.status === 200) op = polled.body;
      }
      if (op.status !== 'succeeded') {
        failed = true;
        io.stderr.write(`\noperation ${op.id} ${op.status}${op.error ? `: ${op.error.code} ${op.error.message}` : ''}\n`);
      }
      outcomes.push(...(((op.result?.outcomes as Outcome[] | undefined) ?? []) as Outcome[]));
    }
  } catch (err) {
    io.stderr.write(`\ncould not reach the server at ${url}: ${(err as Error).message}\n`);
    return 1;
  } finally {
    removeInterrupt();
  }
  if (io.stderr.isTTY) io.stderr.write('\n');
  io.stdout.write(summaryTable(outcomes, phones.length));
  return failed ? 1 : 0;
}

/** The final table: one row per outcome, then who was not added. */
export function summaryTable(outcomes: Outcome[], total: number): string {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
  const rows = Object.entries(counts).sort(([, a], [, b]) => b - a);
  const lines = ['outcome              count', '-------------------- -----'];
  for (const [status, n] of rows) lines.push(`${status.padEnd(20)} ${String(n).padStart(5)}`);
  lines.push('-------------------- -----', `${'total'.padEnd(20)} ${String(outcomes.length).padStart(5)}${outcomes.length === total ? '' : ` of ${total}`}`);
  const notAdded = outcomes.filter((o) => o.status !== 'added');
  if (notAdded.length) {
    lines.push('', 'not added:');
    for (const o of notAdded.slice(0, 50)) lines.push(`  ${o.participant.padEnd(20)} ${o.status}${o.inviteSent ? ' (invite sent)' : ''}`);
    if (notAdded.length > 50) lines.push(`  ... and ${notAdded.length - 50} more`);
  }
  return `${lines.join('\n')}\n`;
}
