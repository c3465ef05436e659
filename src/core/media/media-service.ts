/**
 * Images fetched from a client-given URL (the dialects whose providers accept a picture URL): the
 * URL passes the webhook target rules (http or https, no credentials, no private, loopback,
 * link-local or metadata address unless private targets are allowed), the answer must be a 200 with
 * a JPEG or PNG body of at most `MAX_IMAGE_BYTES`.
 */
import { DomainError, isDomainError } from '../common/errors.js';
import { imageKind } from '../groups/group-picture.js';
import type { MediaFetcher } from '../ports/media-fetcher.js';
import { checkWebhookUrl } from '../webhooks/webhook-ssrf.js';

export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 15_000;

export interface MediaServiceDeps {
  fetcher: MediaFetcher;
  /** Whether private and loopback addresses may be fetched (development only). */
  allowPrivate: () => boolean;
}

export function createMediaService(deps: MediaServiceDeps) {
  return {
    /** The image at `url`, or `media_url_refused` / `media_fetch_failed` / `payload_too_large` / `unsupported_media_type`. */
    async fetchImage(url: string): Promise<{ data: Buffer; kind: 'jpeg' | 'png' }> {
      const allowPrivate = deps.allowPrivate();
      let target: URL;
      try {
        target = checkWebhookUrl(url, allowPrivate);
      } catch (err) {
        if (isDomainError(err)) throw new DomainError('media_url_refused', err.message.replace(/webhook url/g, 'image url'), err.details);
        throw err;
      }
      const got = await deps.fetcher.get(target, { maxBytes: MAX_IMAGE_BYTES, timeoutMs: FETCH_TIMEOUT_MS, allowPrivate });
      if (!got.ok) {
        if (got.tooLarge) throw new DomainError('payload_too_large', `the image at the url is larger than ${MAX_IMAGE_BYTES} bytes`);
        throw new DomainError('media_fetch_failed', `the image could not be fetched: ${got.error}`);
      }
      if (got.status !== 200) throw new DomainError('media_fetch_failed', `the image url answered ${got.status}`, { status: got.status });
      const kind = imageKind(got.body);
      if (!kind) throw new DomainError('unsupported_media_type', 'the image at the url is not a JPEG or a PNG');
      return { data: got.body, kind };
    },
  };
}

export type MediaService = ReturnType<typeof createMediaService>;
