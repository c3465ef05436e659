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
