/** Runs the `groupgate` CLI in-process with captured output, a file map and a controllable Ctrl-C. */
import { Writable } from 'node:stream';
import { main } from '../../src/cli.js';
import type { CliIo } from '../../src/cli-io.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
  /** stdout parsed as one JSON value per line. */
  json<T = unknown>(): T[];
}

export interface CliRunOptions {
  env?: Record<string, string>;
  files?: Record<string, string>;
  /** Called at every sleep (polls, retries) with a function that presses Ctrl-C. */
  onSleep?: (interrupt: () => void, count: number) => void | Promise<void>;
  /** Real milliseconds per sleep (default: none, the next turn of the event loop). */
  sleepMs?: number;
  tty?: boolean;
  /** Presses Ctrl-C when this settles (a test's way to end a command that follows a stream). */
  stop?: Promise<unknown>;
}

function capture(tty: boolean) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  }) as Writable & { isTTY?: boolean; columns?: number };
  stream.isTTY = tty;
  stream.columns = 120;
  return { stream, text: () => chunks.join('') };
}

/** Runs `groupgate <argv>`; answers the exit code and what it printed. */
export async function runCli(argv: string[], options: CliRunOptions = {}): Promise<CliRun> {
  const out = capture(options.tty ?? false);
  const err = capture(options.tty ?? false);
  let interrupt = () => {};
  let sleeps = 0;
  const io: CliIo = {
    stdout: out.stream,
    stderr: err.stream,
    env: options.env ?? {},
    fetch: (...args) => globalThis.fetch(...args),
    async sleep() {
      await options.onSleep?.(() => interrupt(), ++sleeps);
      await new Promise((resolve) => (options.sleepMs ? setTimeout(resolve, options.sleepMs) : setImmediate(resolve)));
    },
    async readFile(path) {
      if (!options.files || !(path in options.files)) throw new Error(`ENOENT: no such file, open '${path}'`);
      return options.files[path]!;
    },
    onInterrupt(fn) {
      interrupt = fn;
      return () => {
        interrupt = () => {};
      };
    },
    now: () => Date.now(),
  };
  void options.stop?.finally(() => interrupt());
  const code = await main(argv, io);
  return {
    code,
    out: out.text(),
    err: err.text(),
    json: <T>() =>
      out
        .text()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as T),
  };
}
