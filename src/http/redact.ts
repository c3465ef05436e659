/**
 * Keeping secrets out of logged and echoed URLs: keys some clients put in the query string, and
 * whatever each dialect carries in its paths (its `UrlRedaction`s).
 */

/** A rewrite of a URL hiding a secret carried in its path. */
export interface UrlRedaction {
  pattern: RegExp;
  replacement: string;
}

/** Query parameters whose values are always hidden. */
const QUERY_SECRETS = /([?&](?:token|key|api_key|apikey|apiTokenInstance)=)[^&]*/gi;

export type UrlRedactor = (url: string) => string;

/** Hides query-string secrets only (before any dialect is known). */
export const redactQuery: UrlRedactor = (url) => url.replace(QUERY_SECRETS, '$1[redacted]');

/** Hides query-string secrets and every path secret the given redactions describe. */
export function createUrlRedactor(redactions: readonly UrlRedaction[]): UrlRedactor {
  return (url) => redactQuery(redactions.reduce((out, r) => out.replace(r.pattern, r.replacement), url));
}

type RawRequest = { method?: string; url?: string; id?: string; ip?: string; socket?: { remoteAddress?: string } };

/** pino's `req` serializer over a redactor: method, redacted URL, id and address; never headers. */
export function requestSerializer(redact: UrlRedactor) {
  return (req: RawRequest) => ({ id: req.id, method: req.method, url: redact(req.url ?? ''), remoteAddress: req.ip ?? req.socket?.remoteAddress });
}
