/**
 * Z-API's webhook settings. Each of Z-API's URL kinds is one z-api subscription of the instance (its
 * slot), delivered from the event log in that kind's callback shape (`callbacks.ts`): one event
 * reaches a kind's URL at most once, whatever other kinds share the address.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { EVENT_TYPES } from '../../core/events/event-model.js';
import type { ApiServices } from '../../http/deps.js';
import { zapiInstanceOf } from './auth.js';
import { ValueBody, ZapiParams, zapiErrors } from './schemas.js';

/** The instance setting holding Z-API's "notify sent by me" switch. */
export const NOTIFY_SENT_BY_ME_SETTING = 'zapiNotifySentByMe';

/** Z-API's webhook kinds (the `update-webhook-{kind}` paths) and the `me` field naming each URL. */
export const ZAPI_WEBHOOK_KINDS = {
  received: 'receivedCallbackUrl',
  delivery: 'deliveryCallbackUrl',
  'message-status': 'messageStatusCallbackUrl',
  connected: 'connectedCallbackUrl',
  disconnected: 'disconnectedCallbackUrl',
  'chat-presence': 'presenceChatCallbackUrl',
} as const;
export type ZapiWebhookKind = keyof typeof ZAPI_WEBHOOK_KINDS;

const known = (types: string[]) => types.filter((t) => (EVENT_TYPES as readonly string[]).includes(t));

/** The events each kind's subscription reads (received adds the instance's own messages with notifySentByMe). */
export function eventsOf(kind: ZapiWebhookKind, notifySentByMe: boolean): string[] {
  switch (kind) {
    case 'received':
      return ['group.*', 'message.received', ...(notifySentByMe ? ['message.sent'] : [])];
    case 'delivery':
      return ['message.sent'];
    case 'message-status':
      // SENT comes from the send itself; RECEIVED and READ from WhatsApp's receipts.
      return known(['message.sent', 'message.status']);
    case 'connected':
    case 'disconnected':
      return ['instance.status'];
    case 'chat-presence':
      // The engines report no presence: the URL is kept (and shown by `me`), nothing is sent to it.
      return [];
  }
}

const UrlBody = Type.Object({
  value: Type.String({ maxLength: 2000, description: 'The webhook URL; "" removes it', examples: ['https://example.com/zapi'] }),
});
const NotifySentByMe = Type.Boolean({ description: "Also send the instance's own messages to the received URL (fromMe: true)", examples: [true] });

/** PUT update-webhook-{kind}, update-webhook-received-delivery, update-notify-sent-by-me and update-every-webhooks. */
export const zapiWebhookRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'webhooks' | 'instances'>> = async (app, { webhooks, instances }) => {
  const tags = ['z-api'];
  const response = { 200: ValueBody, ...zapiErrors(400, 401, 404) };

  const notifyOf = async (instanceId: string) => (await instances.get(instanceId)).settings[NOTIFY_SENT_BY_ME_SETTING] === true;
  const setUrl = (instanceId: string, kind: ZapiWebhookKind, url: string | null, notify: boolean) =>
    webhooks.upsertProviderSubscription(instanceId, 'z-api', { url, slot: kind, events: eventsOf(kind, notify) });

  /** Stores the switch and re-reads the received URL's events with it. */
  async function setNotify(instanceId: string, notify: boolean): Promise<void> {
    await instances.putSetting(instanceId, NOTIFY_SENT_BY_ME_SETTING, notify);
    const received = await webhooks.providerSubscription(instanceId, 'z-api', 'received');
    if (received) await setUrl(instanceId, 'received', received.url, notify);
  }

  for (const kind of Object.keys(ZAPI_WEBHOOK_KINDS) as ZapiWebhookKind[]) {
    app.put(`/update-webhook-${kind}`, { schema: { tags, summary: `Set the "${kind}" webhook URL`, params: ZapiParams, body: UrlBody, response } }, async (request) => {
      const instance = zapiInstanceOf(request);
      await setUrl(instance.id, kind, request.body.value || null, await notifyOf(instance.id));
      return { value: true };
    });
  }

  app.put(
    '/update-webhook-received-delivery',
    { schema: { tags, summary: 'Set the received webhook URL with "notify sent by me" on', params: ZapiParams, body: UrlBody, response } },
    async (request) => {
      const instance = zapiInstanceOf(request);
      // The URL first: a refused URL changes nothing.
      await setUrl(instance.id, 'received', request.body.value || null, true);
      await instances.putSetting(instance.id, NOTIFY_SENT_BY_ME_SETTING, true);
      return { value: true };
    },
  );

  app.put(
    '/update-notify-sent-by-me',
    {
      schema: {
        tags,
        summary: "Whether the instance's own messages also go to the received URL",
        params: ZapiParams,
        body: Type.Object({ notifySentByMe: NotifySentByMe }),
        response,
      },
    },
    async (request) => {
      const instance = zapiInstanceOf(request);
      await setNotify(instance.id, request.body.notifySentByMe);
      return { value: true };
    },
  );

  app.put(
    '/update-every-webhooks',
    {
      schema: {
        tags,
        summary: 'Set every webhook URL at once',
        params: ZapiParams,
        body: Type.Object({ value: UrlBody.properties.value, notifySentByMe: Type.Optional(NotifySentByMe) }),
        response,
      },
    },
    async (request) => {
      const instance = zapiInstanceOf(request);
      const url = request.body.value || null;
      const notify = request.body.notifySentByMe ?? (await notifyOf(instance.id));
      // The first kind checks the URL: a refused one answers before anything changed.
      for (const kind of Object.keys(ZAPI_WEBHOOK_KINDS) as ZapiWebhookKind[]) await setUrl(instance.id, kind, url, notify);
      if (request.body.notifySentByMe !== undefined) await instances.putSetting(instance.id, NOTIFY_SENT_BY_ME_SETTING, notify);
      return { value: true };
    },
  );
};
