/**
 * Starts groupgate: configuration, container, app, listen; graceful close on SIGTERM/SIGINT.
 */
import type { FastifyInstance } from 'fastify';
import { installProcessGuard } from './adapters/engines/process-guard.js';
import { buildApp } from './app.js';
import { loadConfig, type Config } from './config.js';
import { createContainer, type Container } from './container.js';
import { createLogger } from './logger.js';

export interface RunningServer {
  app: FastifyInstance;
  core: Container;
  url: string;
  close(): Promise<void>;
}

/** Builds and starts the server; prints a generated admin key once. */
export async function startServer(config: Config = loadConfig()): Promise<RunningServer> {
  const logger = createLogger(config.logLevel);
  const core = await createContainer(config, logger);
  if (core.generatedAdminKey) {
    // Printed once, on the console only (not through the logger, whose output may be shipped elsewhere).
    process.stdout.write(`\n  groupgate generated an admin key. Save it now: it is shown only this once.\n\n    GROUPGATE_ADMIN_KEY=${core.generatedAdminKey}\n\n`);
  }
  const app = await buildApp(core);
  let address: string;
  if (core.api.cluster.clustered) {
    // A node joins the cluster with the URL the others reach it at, known once it listens.
    address = await app.listen({ port: config.port, host: config.host });
    await core.start({ nodeUrl: config.nodeUrl ?? `http://127.0.0.1:${new URL(address).port}` });
  } else {
    await core.start();
    address = await app.listen({ port: config.port, host: config.host });
  }
  logger.info({ address, database: core.database.kind, location: core.database.location }, 'groupgate is listening');
  // Where to go next, on the console (the log line above may be shipped elsewhere).
  const base = publicBase(address);
  process.stdout.write(`\n  groupgate is running at ${base}\n    dashboard  ${base}/dashboard\n    API docs   ${base}/docs (OpenAPI: ${base}/openapi.json)\n\n`);
  let closing: Promise<void> | undefined;
  return {
    app,
    core,
    url: address,
    close() {
      closing ??= (async () => {
        await app.close();
        await core.close();
      })();
      return closing;
    },
  };
}

/** The address to print: a wildcard bind is reached through 127.0.0.1 from the same machine. */
function publicBase(address: string): string {
  const url = new URL(address);
  if (url.hostname === '0.0.0.0' || url.hostname === '[::]') url.hostname = '127.0.0.1';
  return url.origin;
}

/** Runs until SIGTERM/SIGINT, then closes gracefully (a second signal forces the exit). */
export async function serve(): Promise<void> {
  const server = await startServer();
  // An engine library's stray rejection is logged with its instance, never the end of every instance.
  installProcessGuard(server.core.logger.child({ component: 'process-guard' }));
  let signalled = false;
  const stop = (signal: string) => {
    if (signalled) process.exit(1);
    signalled = true;
    server.core.logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (err) => {
        server.core.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
