/**
 * The process-level guard: an engine library's async listeners (Baileys' dirty-bit refresh,
 * communities, chats, sends on a closed socket) can reject or throw where no caller awaits them. In
 * Node that ends the process, and every instance with it. `installProcessGuard` logs such errors
 * with the instance they came from and keeps the process running.
 *
 * Attribution: an engine creates its sockets inside `withInstance(instanceId, ...)`; every promise
 * created under it (the socket's listeners included, through async context propagation) is tagged
 * with the instance id, and the handlers read the tag back.
 */
import { AsyncLocalStorage, createHook } from 'node:async_hooks';

interface GuardLogger {
  error(obj: object, msg: string): void;
}

const context = new AsyncLocalStorage<string>();
const promiseInstance = new WeakMap<object, string>();
let hook: ReturnType<typeof createHook> | undefined;

/** Runs `fn` (and everything it schedules) as work of `instanceId`. */
export function withInstance<T>(instanceId: string, fn: () => T): T {
  hook ??= createHook({
    init(_id, type, _trigger, resource) {
      if (type !== 'PROMISE') return;
      const instanceId = context.getStore();
      if (instanceId !== undefined) promiseInstance.set(resource, instanceId);
    },
  }).enable();
  return context.run(instanceId, fn);
}

/** The instance a promise (or the current async context) belongs to, when known. */
export function instanceOf(promise?: Promise<unknown>): string | undefined {
  return (promise && promiseInstance.get(promise)) ?? context.getStore();
}

/** Describes an error for the log without its stack. */
function brief(err: unknown): { message: string; name?: string; code?: unknown } {
  if (err instanceof Error) return { name: err.name, message: err.message, code: (err as { code?: unknown }).code };
  return { message: String(err) };
}

/**
 * Logs unhandled rejections and uncaught exceptions with their instance id instead of letting them
 * end the process. Returns a function that removes the handlers.
 */
export function installProcessGuard(logger: GuardLogger): () => void {
  const onRejection = (reason: unknown, promise: Promise<unknown>) => {
    logger.error({ instanceId: instanceOf(promise), err: brief(reason) }, 'unhandled rejection (kept running)');
  };
  const onException = (err: unknown) => {
    logger.error({ instanceId: instanceOf(), err: brief(err) }, 'uncaught exception (kept running)');
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
