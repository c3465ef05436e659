/**
 * What a provider dialect is to the composition root: its own routes (and native-API settings
 * routes), its own storage, and how its secrets are kept out of logs. Adding a dialect is a folder
 * under src/dialects plus one line in the composition root's dialect list.
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { WebhookBodyFormat } from '../../core/ports/webhook-format.js';
import type { ApiServices } from '../../http/deps.js';
import type { UrlRedaction } from '../../http/redact.js';

/** What a dialect is built over. */
export interface DialectContext {
  services: ApiServices;
  /** The app database, typed with the dialect's own tables (created by the one migration set). */
  tables<T>(): Kysely<T>;
}

/** A dialect built over the services. */
export interface Dialect {
  /** The dialect's own paths, registered at the root with its own credentials and error shapes. */
  routes: FastifyPluginAsync;
  /** Dialect settings on the native API, registered under `/api` behind the native key check. */
  apiRoutes?: FastifyPluginAsync;
  /** Drops the dialect's own rows of a deleted instance. */
  forgetInstance?(instanceId: string): Promise<void>;
  /**
   * Rewrites a request URL before routing, or answers undefined to leave it alone (e.g. a provider
   * whose method names match whatever their case).
   */
  rewriteUrl?(url: string): string | undefined;
  /**
   * Answers a URL error raised before routing (a broken percent-escape, an over-long parameter) on
   * one of the dialect's paths in its own error shape; false leaves it to the native envelope.
   */
  frameworkError?(err: FastifyError, request: FastifyRequest, reply: FastifyReply): boolean;
}

export interface DialectModule {
  name: string;
  /** Secrets in the dialect's paths, hidden from logged URLs. */
  redactions: UrlRedaction[];
  /**
   * Webhook body formats the dialect adds (its provider's webhook shapes), by name; a function
   * when a format reads the dialect's own tables.
   */
  webhookFormats?: WebhookBodyFormat[] | ((ctx: Pick<DialectContext, 'tables'>) => WebhookBodyFormat[]);
  create(ctx: DialectContext): Dialect;
}
