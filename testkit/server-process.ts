/**
 * A real `groupgate serve` process (from the TypeScript sources) on a free port and a temporary
 * data directory: what the README walkthrough and the CLI tests talk to.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

export interface ServerProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>`, as the server printed it. */
  url: string;
  /** The admin key the server generated on its first start (undefined when one was configured). */
  generatedKey?: string;
  dataDir: string;
  output(): string;
  /** SIGTERM and wait for the exit; answers the exit code. */
  stop(): Promise<number | null>;
  /** Starts the server again on the same data directory and port. */
  restart(): Promise<ServerProcess>;
  /** Stops the server and removes its data directory. */
  close(): Promise<void>;
}

/** Starts `groupgate serve` and waits until it prints where it is running. */
export async function startServerProcess(options: { env?: Record<string, string>; dataDir?: string; port?: number } = {}): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'gg-server-'));
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/support/fixtures/serve.ts')], {
    cwd: ROOT,
    env: { ...process.env, GROUPGATE_DATA_DIR: dataDir, GROUPGATE_PORT: String(options.port ?? 0), GROUPGATE_LOG_LEVEL: 'warn', NODE_ENV: 'test', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /groupgate is running at (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then((code) => reject(new Error(`the server exited early (${code}):\n${out}`)));
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  return {
    child,
    url,
    generatedKey: /GROUPGATE_ADMIN_KEY=(\S+)/.exec(out)?.[1],
    dataDir,
    output: () => out,
    stop,
    async restart() {
      await stop();
      return startServerProcess({ ...options, dataDir, port: Number(new URL(url).port) });
    },
    async close() {
      await stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** What a `groupgate serve` node of a cluster needs: one PostgreSQL schema and one Redis prefix shared by all, its own id. */
export function clusterNodeEnv(node: {
  pgUrl: string;
  schema: string;
  redisUrl: string;
  prefix: string;
  name: string;
  adminKey: string;
  masterKey: string;
}): Record<string, string> {
  return {
    GROUPGATE_DATABASE_URL: node.pgUrl,
    GROUPGATE_DATABASE_SCHEMA: node.schema,
    GROUPGATE_REDIS_URL: node.redisUrl,
    GROUPGATE_REDIS_PREFIX: node.prefix,
    GROUPGATE_NODE_ID: node.name,
    GROUPGATE_ADMIN_KEY: node.adminKey,
    GROUPGATE_MASTER_KEY: node.masterKey,
    GROUPGATE_SANDBOX_GROUP_CREATE_LIMIT_PER_HOUR: '0',
  };
}
