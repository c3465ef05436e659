import pino, { type Logger } from 'pino';
import { redactQuery, requestSerializer } from './http/redact.js';

/**
 * The process logger. Pretty output only when stdout is a terminal; request URLs are redacted (the
 * app adds each provider dialect's path secrets, see `buildApp`) and auth headers are never serialised.
 */
export function createLogger(level: string, options: { pretty?: boolean; destination?: pino.DestinationStream } = {}): Logger {
  const pretty = options.pretty ?? (process.stdout.isTTY === true && !options.destination);
  const opts: pino.LoggerOptions = {
    level,
    serializers: {
      // The app replaces this with one that also knows each dialect's path secrets.
      req: requestSerializer(redactQuery),
      res(res: { statusCode?: number }) {
        return { statusCode: res.statusCode };
      },
      err: pino.stdSerializers.err,
    },
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["client-token"]', 'req.headers["x-user-api-key"]', '*.token', '*.key', '*.secret'],
      censor: '[redacted]',
    },
  };
  if (pretty) return pino({ ...opts, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } });
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

type LogFn = (...args: unknown[]) => void;
const METHODS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/**
 * A request's child logger, created only when something is logged at an enabled level. Fastify
 * makes one child per request; with request logging above `info` (or silent) most requests log
 * nothing, and a pino child costs more than the rest of a small request's logging path.
 */
class LazyChild {
  real: Logger | undefined;
  constructor(
    readonly parent: Logger,
    private readonly own: pino.Bindings,
    private readonly options: pino.ChildLoggerOptions,
  ) {}

  get logger(): Logger {
    return (this.real ??= this.parent.child(this.own, this.options));
  }

  get level(): string {
    return this.real ? this.real.level : this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  isLevelEnabled(level: string): boolean {
    return (this.real ?? this.parent).isLevelEnabled(level);
  }

  child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): Logger {
    return this.logger.child(bindings, options);
  }

  bindings(): pino.Bindings {
    return this.logger.bindings();
  }

  silent(): void {}

  declare fatal: LogFn;
  declare error: LogFn;
  declare warn: LogFn;
  declare info: LogFn;
  declare debug: LogFn;
  declare trace: LogFn;
}
for (const method of METHODS) {
  Object.defineProperty(LazyChild.prototype, method, {
    value(this: LazyChild, ...args: unknown[]) {
      if (this.real === undefined && !this.parent.isLevelEnabled(method)) return;
      (this.logger[method] as LogFn)(...args);
    },
  });
}

/**
 * Fastify's `childLoggerFactory`: a lazily created pino child. A route with its own log level gets
 * a real child at once (its level must apply to the parent's disabled levels too).
 */
export function lazyChildLogger(logger: Logger, bindings: pino.Bindings, options: pino.ChildLoggerOptions): Logger {
  if (options.level) return logger.child(bindings, options);
  return new LazyChild(logger, bindings, options) as unknown as Logger;
}
