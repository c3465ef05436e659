/**
 * What every `groupgate` command shares: its input and output (injectable for tests), the typed
 * API client built from `--url`/`--key` (or GROUPGATE_URL/GROUPGATE_API_KEY), retries while the
 * server restarts, and plain-text or `--json` output.
 */
import { readFile } from 'node:fs/promises';
import { apiError, createGroupgateClient, type GroupgateClient } from '@groupgate/client';

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  fetch: typeof fetch;
  sleep(ms: number): Promise<void>;
  readFile(path: string): Promise<string>;
  /** Registers a Ctrl-C handler; returns its removal. */
  onInterrupt(fn: () => void): () => void;
  now(): number;
}

/** The real process's input and output. */
export const processIo = (): CliIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  fetch: (...args) => globalThis.fetch(...args),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  readFile: (path) => readFile(path, 'utf8'),
  onInterrupt(fn) {
    process.on('SIGINT', fn);
    return () => process.off('SIGINT', fn);
  },
  now: () => Date.now(),
});

/** A failure the command reports as one sentence; `exitCode` 1 (refused) or 2 (usage). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface GlobalOptions {
  url?: string;
  key?: string;
  json?: boolean;
  instance?: string;
}

export interface Connection {
  client: GroupgateClient;
  url: string;
  key: string;
  io: CliIo;
  json: boolean;
  /** Writes a line (or, under --json, nothing: commands print their JSON themselves). */
  say(text: string): void;
  /** Prints a value as JSON (one line per value). */
  printJson(value: unknown): void;
}

/** How long the CLI keeps retrying while the server does not answer (a restart takes seconds). */
export const RETRY_FOR_MS = 60_000;

/** Builds the connection from the options and the environment; refuses without a key. */
export function connect(options: GlobalOptions, io: CliIo): Connection {
  const url = String(options.url ?? io.env.GROUPGATE_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  const key = options.key ?? io.env.GROUPGATE_API_KEY;
  if (!key) throw new CliError('an API key is required: --key <key> or GROUPGATE_API_KEY (the admin key, or a key from `groupgate keys create`)', 2);
  const json = options.json === true;
  return {
    client: createGroupgateClient({ baseUrl: url, key, fetch: (request: Request) => io.fetch(request) }),
    url,
    key,
    io,
    json,
    say: (text) => {
      if (!json) io.stdout.write(`${text}\n`);
    },
    printJson: (value) => io.stdout.write(`${JSON.stringify(value)}\n`),
  };
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Runs one API call, retrying while the server cannot be reached or answers 502/503 (a restart,
 * a proxy in front of it) for up to RETRY_FOR_MS; a refusal becomes a CliError with the server's
 * own message. Answers the data and the response.
 */
export async function call<T>(conn: Connection, what: string, fn: () => Promise<Answer<T>>): Promise<{ data: T; response: Response }> {
  const started = conn.io.now();
  let warned = false;
  for (let attempt = 0; ; attempt++) {
    let answer: Answer<T> | undefined;
    let reason = '';
    try {
      answer = await fn();
      if (answer.response.status === 502 || answer.response.status === 503) reason = `it answered ${answer.response.status}`;
    } catch (err) {
      reason = (err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    }
    if (answer && !reason) {
      if (answer.response.ok) return { data: answer.data as T, response: answer.response };
      const e = apiError(answer.error);
      throw new ApiRefusal(
        answer.response.status,
        e?.code ?? `http_${answer.response.status}`,
        `${what}: ${e?.message ?? `the server answered ${answer.response.status}`}`,
        e?.details,
      );
    }
    if (conn.io.now() - started >= RETRY_FOR_MS) {
      throw new CliError(`${what}: could not reach the server at ${conn.url} (${reason}). Start it (npm start), then run the same command again: it resumes where it stopped.`);
    }
    if (!warned) {
      conn.io.stderr.write(`the server at ${conn.url} does not answer (${reason}); retrying for up to ${RETRY_FOR_MS / 1000} s...\n`);
      warned = true;
    }
    await conn.io.sleep(Math.min(500 * 2 ** attempt, 5_000));
  }
}

/** The server refused a call: its HTTP status, error code and message. */
export class ApiRefusal extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message, 1);
  }
}

/** A fixed-width text table. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** `k3j9x0a2mq`, a name or an idInstance: resolves to the instance (its id and phone). */
export async function resolveInstance(conn: Connection, ref: string | undefined): Promise<{ id: string; name: string; phone: string | null; status: string }> {
  if (!ref) throw new CliError('which instance? Give it as the first argument after the command, or as --instance <id or name>', 2);
  const { data } = await call(conn, 'list instances', () => conn.client.GET('/api/instances'));
  const all = data.instances;
  const found = all.find((i) => i.id === ref) ?? all.find((i) => i.idInstance === ref) ?? all.filter((i) => i.name.toLowerCase() === ref.toLowerCase());
  if (Array.isArray(found)) {
    if (found.length === 1) return found[0]!;
    if (found.length > 1) throw new CliError(`${found.length} instances are named "${ref}": use the id (${found.map((i) => i.id).join(', ')})`, 2);
    throw new CliError(`no instance "${ref}" (groupgate instances list shows them)`, 1);
  }
  return found;
}

/** The instance from --instance, else the first positional argument (which is then consumed). */
export function takeInstance(options: GlobalOptions, args: string[]): string | undefined {
  return options.instance ?? args.shift();
}
