/**
 * Webhook subscriptions: who may see and change which, where they may point, and where delivery of
 * a new one starts, including the subscriptions a provider dialect's settings manage. Deliveries
 * themselves (history, retry, replay, lag) are in `webhook-deliveries.ts`; the background sending
 * is the worker in `delivery/`.
 */
import type { Store } from '../ports/store.js';
import type { AccessService, Principal } from '../access/access-service.js';
import { DomainError } from '../common/errors.js';
import { shortId } from '../common/ids.js';
import type { WebhookCursor, WebhookSubscription } from './webhook-model.js';
import type { WebhookRepository } from '../ports/webhook-repository.js';
import type { WebhookTransport } from '../ports/webhook-transport.js';
import { MIN_PROVIDER_SECRET_BYTES, newWebhookSecret, isValidWebhookSecret, isWebhookFormat, validateEventFilters, type WebhookFormat } from './webhook-rules.js';
import { checkWebhookUrl } from './webhook-ssrf.js';
import { createDeliveryService, type DeliveryService } from './webhook-deliveries.js';

/** What a client sees of a subscription (the secret only once, at creation). */
export interface WebhookView {
  id: string;
  url: string;
  instances: string[] | null;
  events: string[] | null;
  format: WebhookFormat;
  enabled: boolean;
  /** The provider dialect whose settings manage this subscription, if any. */
  managedBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookInput {
  url: string;
  instances?: string[] | null;
  events?: string[] | null;
  format?: WebhookFormat;
  secret?: string;
  enabled?: boolean;
}

export interface ProviderWebhookSettings {
  /** Empty or null removes the subscription. */
  url: string | null;
  /** Sent as the Authorization header (Green API's webhookUrlToken); empty = none. */
  token?: string | null;
  /** Which of the provider's webhook URLs this is (Z-API has several); default "default". */
  slot?: string;
  /** Event filters (default: every event). */
  events?: string[] | null;
  /**
   * The signing secret the provider's client chose (`whsec_` + base64 of 16..64 bytes); absent keeps
   * the current one (a new subscription gets a generated one). Setting it marks it as never revealed.
   */
  secret?: string;
  /** Whether deliveries run (default true); a disabled subscription keeps its settings. */
  enabled?: boolean;
}

export interface WebhookService extends DeliveryService {
  create(principal: Principal, input: WebhookInput): Promise<WebhookView & { secret: string }>;
  list(principal: Principal): Promise<WebhookView[]>;
  get(principal: Principal, id: string): Promise<WebhookView>;
  update(principal: Principal, id: string, patch: Partial<Omit<WebhookInput, 'secret'>>): Promise<WebhookView>;
  delete(principal: Principal, id: string): Promise<void>;
  /**
   * Creates, updates or removes the subscription a provider dialect's settings describe for one
   * instance (Green API setSettings webhookUrl/webhookUrlToken, Z-API webhook URLs). Idempotent;
   * answers the subscription, or null when removed. Refuses a URL the server may not call.
   * `provider` names the dialect, which is also the subscription's body format.
   */
  upsertProviderSubscription(instanceId: string, provider: string, settings: ProviderWebhookSettings): Promise<WebhookView | null>;
  /**
   * Answers the current signing secret to an admin, once: a second call (or one after a rotation,
   * which shows the new secret itself) is refused with `secret_already_revealed`.
   */
  revealSecret(principal: Principal, id: string): Promise<WebhookView & { secret: string }>;
  /** Replaces the signing secret (admin only) and answers the new one, shown this once. */
  rotateSecret(principal: Principal, id: string): Promise<WebhookView & { secret: string }>;
  /**
   * The Authorization value a provider dialect's setting gave its subscription (Green API's
   * webhookUrlToken), or null when none (or no subscription). The subscription holds its only copy.
   */
  providerAuthorization(instanceId: string, provider: string, slot?: string): Promise<string | null>;
  /** The subscription a provider dialect's setting manages for one instance, or null when unset. */
  providerSubscription(instanceId: string, provider: string, slot?: string): Promise<WebhookView | null>;
  /** Called after any change that may give the delivery worker work (set once at wiring). */
  onChange(listener: (subscriptionId: string) => void): void;
}

export interface WebhookServiceDeps {
  repo: WebhookRepository;
  store: Store;
  access: AccessService;
  /** Whether private and loopback receivers are allowed. */
  allowPrivate: () => boolean;
  /** Sends the test ping. */
  transport: WebhookTransport;
  now?: () => number;
}

/** Builds the cursors that make a subscription start after the events already in the log. */
async function startCursors(store: Store, subscriptionId: string, instanceIds: string[]): Promise<WebhookCursor[]> {
  const out: WebhookCursor[] = [];
  for (const instanceId of instanceIds) out.push({ subscriptionId, instanceId, afterSeq: await store.events.lastSeq(instanceId) });
  return out;
}

/** Creates the webhook service. */
export function createWebhookService(deps: WebhookServiceDeps): WebhookService {
  const { repo, store, access } = deps;
  const now = deps.now ?? Date.now;
  const listeners: ((id: string) => void)[] = [];
  const changed = (id: string) => listeners.forEach((l) => l(id));

  const view = (s: WebhookSubscription): WebhookView => ({
    id: s.id,
    url: s.url,
    instances: s.instances,
    events: s.events,
    format: s.format,
    enabled: s.enabled,
    managedBy: s.provider,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  });

  /** Whether the principal may see every instance of the subscription. */
  function visible(principal: Principal, s: WebhookSubscription): boolean {
    if (access.isAdmin(principal)) return true;
    return s.instances !== null && s.instances.every((id) => access.canAccess(principal, id));
  }

  async function find(principal: Principal, id: string): Promise<WebhookSubscription> {
    const s = await repo.getSubscription(id);
    if (!s || !visible(principal, s)) throw new DomainError('webhook_not_found', `no such webhook: ${id}`);
    return s;
  }

  /** Resolves the instance list of a request against what the principal may see. */
  async function resolveInstances(principal: Principal, requested: string[] | null | undefined): Promise<string[] | null> {
    if (requested === null) {
      if (!access.isAdmin(principal)) throw new DomainError('forbidden', 'only an admin key may subscribe to every instance (instances: null)');
      return null;
    }
    if (requested === undefined) {
      const visibleIds = access.visibleInstances(principal);
      return visibleIds === null ? null : [...visibleIds];
    }
    const ids = [...new Set(requested)];
    const found = await store.instances.list(ids);
    const missing = ids.filter((id) => !found.some((i) => i.id === id) || !access.canAccess(principal, id));
    if (missing.length) throw new DomainError('instance_not_found', `no such instance: ${missing.join(', ')}`, { missing });
    return ids;
  }

  async function allInstanceIds(): Promise<string[]> {
    return (await store.instances.list()).map((i) => i.id);
  }

  /** Only an admin key may read or replace a signing secret; anyone else is refused before any lookup. */
  function requireAdmin(principal: Principal): void {
    if (!access.isAdmin(principal)) throw new DomainError('forbidden', 'only an admin key may reveal or rotate a webhook signing secret');
  }

  const deliveries = createDeliveryService({ repo, store, find, now, transport: deps.transport, changed });

  return {
    ...deliveries,

    async create(principal, input) {
      checkWebhookUrl(input.url, deps.allowPrivate());
      const instances = await resolveInstances(principal, input.instances);
      const events = input.events === undefined || input.events === null ? null : validateEventFilters(input.events);
      if (input.secret !== undefined && !isValidWebhookSecret(input.secret)) {
        throw new DomainError('validation_failed', 'secret must be a Standard Webhooks secret: "whsec_" + base64 of 24 to 64 random bytes');
      }
      const at = new Date(now()).toISOString();
      const sub: WebhookSubscription = {
        id: shortId('wh_'),
        url: input.url,
        instances,
        events,
        format: input.format ?? 'native',
        secret: input.secret ?? newWebhookSecret(),
        secretRevealedAt: null,
        enabled: input.enabled ?? true,
        provider: null,
        providerSlot: null,
        authorization: null,
        createdAt: at,
        updatedAt: at,
      };
      await repo.insertSubscription(sub, await startCursors(store, sub.id, instances ?? (await allInstanceIds())));
      changed(sub.id);
      return { ...view(sub), secret: sub.secret };
    },

    async list(principal) {
      return (await repo.listSubscriptions()).filter((s) => visible(principal, s)).map(view);
    },

    async get(principal, id) {
      return view(await find(principal, id));
    },

    async update(principal, id, patch) {
      const s = await find(principal, id);
      const next: Partial<WebhookSubscription> = { updatedAt: new Date(now()).toISOString() };
      if (patch.url !== undefined) {
        checkWebhookUrl(patch.url, deps.allowPrivate());
        next.url = patch.url;
      }
      let added: string[] = [];
      if (patch.instances !== undefined) {
        next.instances = await resolveInstances(principal, patch.instances);
        const before = s.instances ?? (await allInstanceIds());
        added = (next.instances ?? (await allInstanceIds())).filter((i) => !before.includes(i));
      }
      if (patch.events !== undefined) next.events = patch.events === null ? null : validateEventFilters(patch.events);
      if (patch.format !== undefined) next.format = patch.format;
      if (patch.enabled !== undefined) next.enabled = patch.enabled;
      // An instance added later starts, like a new subscription, after its events so far.
      await repo.updateSubscription(id, next, await startCursors(store, id, added));
      changed(id);
      return view({ ...s, ...next });
    },

    async delete(principal, id) {
      await find(principal, id);
      await repo.deleteSubscription(id);
      changed(id);
    },

    async upsertProviderSubscription(instanceId, provider, settings) {
      // A provider's subscriptions use its own body format: a dialect without one is a wiring error.
      if (!isWebhookFormat(provider)) throw new Error(`no webhook format named after provider ${provider}`);
      const slot = settings.slot ?? 'default';
      const existing = await repo.getProviderSubscription(instanceId, provider, slot);
      const url = settings.url?.trim() ?? '';
      if (!url) {
        if (existing) {
          await repo.deleteSubscription(existing.id);
          changed(existing.id);
        }
        return null;
      }
      checkWebhookUrl(url, deps.allowPrivate());
      const events = settings.events === undefined || settings.events === null ? null : validateEventFilters(settings.events);
      // Green API puts the token in the Authorization header (`authorizationHeader` builds it at
      // sending); the value is kept as given, so the dialect can answer it back.
      const authorization = settings.token?.trim() ? settings.token.trim() : null;
      if (settings.secret !== undefined && !isValidWebhookSecret(settings.secret, MIN_PROVIDER_SECRET_BYTES)) {
        throw new DomainError('validation_failed', `secret must be a Standard Webhooks secret: "whsec_" + base64 of ${MIN_PROVIDER_SECRET_BYTES} to 64 bytes`);
      }
      const enabled = settings.enabled ?? true;
      const at = new Date(now()).toISOString();
      const format = provider;
      if (existing) {
        const patch: Partial<WebhookSubscription> = { url, events, authorization, format, enabled, updatedAt: at };
        if (settings.secret !== undefined && settings.secret !== existing.secret) Object.assign(patch, { secret: settings.secret, secretRevealedAt: null });
        await repo.updateSubscription(existing.id, patch);
        changed(existing.id);
        return view({ ...existing, ...patch });
      }
      const sub: WebhookSubscription = {
        id: shortId('wh_'),
        url,
        instances: [instanceId],
        events,
        format,
        secret: settings.secret ?? newWebhookSecret(),
        secretRevealedAt: null,
        enabled,
        provider,
        providerSlot: slot,
        authorization,
        createdAt: at,
        updatedAt: at,
      };
      await repo.insertSubscription(sub, await startCursors(store, sub.id, [instanceId]));
      changed(sub.id);
      return view(sub);
    },

    async revealSecret(principal, id) {
      requireAdmin(principal);
      const s = await find(principal, id);
      if (!(await repo.markSecretRevealed(id, new Date(now()).toISOString()))) {
        throw new DomainError(
          'secret_already_revealed',
          `the signing secret of webhook ${id} was already revealed: rotate it (POST /api/webhooks/${id}/secret/rotate) to get a new one`,
        );
      }
      return { ...view(s), secret: s.secret };
    },

    async rotateSecret(principal, id) {
      requireAdmin(principal);
      const s = await find(principal, id);
      const at = new Date(now()).toISOString();
      const patch: Partial<WebhookSubscription> = { secret: newWebhookSecret(), secretRevealedAt: at, updatedAt: at };
      await repo.updateSubscription(id, patch);
      changed(id);
      const next = { ...s, ...patch };
      return { ...view(next), secret: next.secret };
    },

    async providerAuthorization(instanceId, provider, slot) {
      const sub = await repo.getProviderSubscription(instanceId, provider, slot ?? 'default');
      return sub?.authorization ?? null;
    },

    async providerSubscription(instanceId, provider, slot) {
      const sub = await repo.getProviderSubscription(instanceId, provider, slot ?? 'default');
      return sub ? view(sub) : null;
    },

    onChange(listener) {
      listeners.push(listener);
    },
  };
}
