/**
 * The media-fetch port: one GET of a client-given URL (a group picture to set), through the same
 * address checks as webhook deliveries (every resolved address allowed, the connection made to the
 * checked one), bounded in time and size, no redirects. Never throws for the remote's failures.
 */
export type FetchResult =
  | { ok: true; status: number; contentType: string | null; body: Buffer }
  /** `tooLarge`: the body passed `maxBytes` (reading stopped there). */
  | { ok: false; error: string; tooLarge?: boolean };

export interface MediaFetcher {
  get(url: URL, limits: { maxBytes: number; timeoutMs: number; allowPrivate: boolean }): Promise<FetchResult>;
}
