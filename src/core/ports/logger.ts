/**
 * The logging port: the little of a structured logger the core uses. pino's `Logger` satisfies it;
 * the composition root hands the core a child logger per component.
 */
type LogFn = (obj: unknown, msg?: string) => void;

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}
