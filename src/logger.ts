import pino, { type Logger } from 'pino';
import { redactUrl } from './http/errors.js';

/**
 * The process logger. Pretty output only when stdout is a terminal; request URLs are redacted (the
 * provider dialects carry tokens in paths) and auth headers are never serialised.
 */
export function createLogger(level: string, options: { pretty?: boolean; destination?: pino.DestinationStream } = {}): Logger {
  const pretty = options.pretty ?? (process.stdout.isTTY === true && !options.destination);
  const opts: pino.LoggerOptions = {
    level,
    serializers: {
      req(req: { method?: string; url?: string; id?: string; ip?: string; socket?: { remoteAddress?: string } }) {
        return { id: req.id, method: req.method, url: redactUrl(req.url ?? ''), remoteAddress: req.ip ?? req.socket?.remoteAddress };
      },
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
