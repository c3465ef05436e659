/**
 * Keeping secrets out of logged and echoed URLs: keys some clients put in the query string, and
 * whatever each dialect carries in its paths (its `UrlRedaction`s).
 */

/** A rewrite of a URL hiding a secret carried in its path. */
export interface UrlRedaction {
  pattern: RegExp;
  replacement: string;
}

/** Query parameters whose values are always hidden, whatever they hold. */
const QUERY_SECRETS =
  /([?&](?:[a-z0-9_.-]*token|key|api[_-]?key|apikey|apiTokenInstance|secret|client[_-]?secret|password|passwd|auth|authorization|signature|sig|x-api-key|client-token)=)[^&#]*/gi;
/**
 * Anything shaped like a groupgate secret (API keys `gg_`, instance tokens `ggi_`, webhook secrets
 * `whsec_`), wherever it appears in the URL: any path segment, any query parameter, raw or
 * percent-encoded.
 */
const SECRET_SHAPED = /(?<![A-Za-z0-9])(?:gg|ggi|gg_admin|whsec)(?:_|%5f)[^/?&#\s]*/gi;

export type UrlRedactor = (url: string) => string;

/** Hides query-string secrets and secret-shaped values anywhere (before any dialect is known). */
export const redactQuery: UrlRedactor = (url) => url.replace(QUERY_SECRETS, '$1[redacted]').replace(SECRET_SHAPED, '[redacted]');

/** Hides query-string secrets, secret-shaped values and every path secret the given redactions describe (each occurrence, not just the first). */
export function createUrlRedactor(redactions: readonly UrlRedaction[]): UrlRedactor {
  const global = redactions.map((r) => ({
    pattern: new RegExp(r.pattern.source, r.pattern.flags.includes('g') ? r.pattern.flags : `${r.pattern.flags}g`),
    replacement: r.replacement,
  }));
  return (url) => redactQuery(global.reduce((out, r) => out.replace(r.pattern, r.replacement), url));
}

type RawRequest = { method?: string; url?: string; id?: string; ip?: string; socket?: { remoteAddress?: string } };

/** pino's `req` serializer over a redactor: method, redacted URL, id and address; never headers. */
export function requestSerializer(redact: UrlRedactor) {
  return (req: RawRequest) => ({ id: req.id, method: req.method, url: redact(req.url ?? ''), remoteAddress: req.ip ?? req.socket?.remoteAddress });
}
