/**
 * Z-API instance and message routes: connecting a number (qr-code, qr-code/image, phone-code),
 * status, me, restart, disconnect, send-text. Both engines answer them; the sandbox is a number
 * that is always connected.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '../../core/common/errors.js';
import { normalizePhone } from '../../core/common/phone.js';
import { EngineError } from '../../core/ports/engine.js';
import { isZapiGroupPhone } from './wire-format.js';
import type { ApiServices } from '../../http/deps.js';
import { zapiInstanceOf } from './auth.js';
import { ValueBody, ZapiParams, zapiErrors } from './schemas.js';
import { zapiGroupId } from './shapes.js';
import { NOTIFY_SENT_BY_ME_SETTING, ZAPI_WEBHOOK_KINDS, type ZapiWebhookKind } from './routes-webhooks.js';

/** `me.due` for an instance that never expires (2100-01-01, ms): there is no subscription to run out here. */
const NEVER_DUE = 4102444800000;

const Connected = Type.Object(
  { connected: Type.Literal(true, { description: 'The number is already connected: there is nothing to scan', examples: [true] }) },
  { description: 'Already connected' },
);

/** Z-API's status wording per groupgate status. */
function statusError(status: string): string {
  switch (status) {
    case 'connected':
      return 'You are already connected.';
    case 'logged_out':
    case 'failed':
      return 'You need to restore the session.';
    default:
      return 'You are not connected.';
  }
}

/** Z-API routes about the instance itself. */
export const zapiInstanceRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'instances' | 'messages' | 'webhooks'>> = async (app, { instances, messages, webhooks }) => {
  const tags = ['z-api'];

  /** The live status of an instance's session (the stored one when it has none). */
  const statusOf = (id: string, fallback: string) => instances.rawSession(id)?.status().status ?? fallback;

  /** The QR of a session waiting to be linked; `connected` when linked; a 400 when neither yet. */
  async function qrOf(id: string): Promise<{ connected: true } | { qr: string }> {
    const instance = await instances.get(id);
    const status = statusOf(id, instance.status);
    if (status === 'connected') return { connected: true };
    const qr = instances.rawSession(id)?.currentQr?.();
    if (!qr) throw new DomainError('qr_not_available', `no QR code yet: the instance is ${status}; call again in a few seconds, or restart it`);
    return { qr };
  }

  app.get(
    '/qr-code',
    {
      config: { session: true },
      schema: {
        tags,
        summary: 'The QR code to scan, as its raw content (WhatsApp renews it about every 20 s)',
        params: ZapiParams,
        response: {
          200: Type.Union([Type.Object({ value: Type.String({ description: 'The QR content to render', examples: ['2@AbC...,xyz=,abc=,def='] }) }), Connected]),
          ...zapiErrors(400, 401, 404),
        },
      },
    },
    async (request) => {
      const got = await qrOf(zapiInstanceOf(request).id);
      return 'qr' in got ? { value: got.qr } : got;
    },
  );

  app.get(
    '/qr-code/image',
    {
      config: { session: true },
      schema: {
        tags,
        summary: 'The QR code to scan, as a base64 PNG',
        params: ZapiParams,
        response: {
          200: Type.Union([Type.Object({ value: Type.String({ description: 'PNG data URL', examples: ['data:image/png;base64,iVBORw0KGgo...'] }) }), Connected]),
          ...zapiErrors(400, 401, 404),
        },
      },
    },
    async (request) => {
      const got = await qrOf(zapiInstanceOf(request).id);
      if (!('qr' in got)) return got;
      const qrcode = await import('qrcode');
      return { value: await qrcode.toDataURL(got.qr, { errorCorrectionLevel: 'L', margin: 2 }) };
    },
  );

  app.get(
    '/phone-code/:phone',
    {
      config: { session: true },
      schema: {
        tags,
        summary: 'A code to type on the phone (Linked devices > Link with phone number) instead of scanning',
        params: Type.Object({
          ...ZapiParams.properties,
          phone: Type.String({ minLength: 1, maxLength: 32, description: 'The number to connect, digits with country code', examples: ['5511999999999'] }),
        }),
        response: {
          200: Type.Union([Type.Object({ code: Type.String({ description: 'The 8-character code', examples: ['ABCD1234'] }) }), Connected]),
          ...zapiErrors(400, 401, 404),
        },
      },
    },
    async (request) => {
      const instance = zapiInstanceOf(request);
      const phone = normalizePhone(request.params.phone);
      if (!phone) throw new DomainError('validation_failed', 'phone must be a number with country code, such as 5511999999999');
      const session = instances.rawSession(instance.id);
      const status = statusOf(instance.id, instance.status);
      if (status === 'connected') return { connected: true as const };
      const unavailable = () => new DomainError('qr_not_available', `no phone code now: the instance is ${status}; call again in a few seconds, or restart it`);
      if (!session?.requestPairingCode || (status !== 'qr' && status !== 'pairing')) throw unavailable();
      try {
        return { code: await session.requestPairingCode(phone) };
      } catch (err) {
        if (err instanceof EngineError) throw unavailable();
        throw err;
      }
    },
  );

  app.get(
    '/restart',
    {
      config: { session: true },
      schema: { tags, summary: 'Restart the connection (no new QR code needed)', params: ZapiParams, response: { 200: ValueBody, ...zapiErrors(401, 404) } },
    },
    async (request) => {
      await instances.restart(zapiInstanceOf(request).id);
      return { value: true };
    },
  );

  app.get(
    '/disconnect',
    {
      config: { session: true },
      schema: { tags, summary: 'Unlink the number (connect again with a new QR code)', params: ZapiParams, response: { 200: ValueBody, ...zapiErrors(401, 404) } },
    },
    async (request) => {
      await instances.logout(zapiInstanceOf(request).id);
      return { value: true };
    },
  );

  const Url = (description: string) => Type.Union([Type.String({ description, examples: ['https://example.com/zapi'] }), Type.Null()]);
  app.get(
    '/me',
    {
      config: { session: true },
      schema: {
        tags,
        summary: "The instance's data and webhook URLs",
        params: ZapiParams,
        response: {
          200: Type.Object({
            id: Type.String({ description: 'Instance id', examples: ['k3j9x0a2mq'] }),
            token: Type.Null({ description: 'Never shown: only its hash is kept', examples: [null] }),
            name: Type.String({ description: 'Instance name', examples: ['Sales'] }),
            due: Type.Integer({ description: 'Expiry, ms (2100-01-01: instances here do not expire)', examples: [NEVER_DUE] }),
            connected: Type.Boolean({ description: 'Connected to WhatsApp', examples: [true] }),
            paymentStatus: Type.String({ description: 'Always "RECEIVED" here', examples: ['RECEIVED'] }),
            created: Type.String({ description: 'Creation time', examples: ['2026-01-05T10:00:00.000Z'] }),
            connectedCallbackUrl: Url('Connected webhook URL'),
            deliveryCallbackUrl: Url('Delivery webhook URL'),
            disconnectedCallbackUrl: Url('Disconnected webhook URL'),
            messageStatusCallbackUrl: Url('Message status webhook URL'),
            presenceChatCallbackUrl: Url('Chat presence webhook URL (nothing is sent to it)'),
            receivedCallbackUrl: Url('Received webhook URL'),
            receiveCallbackSentByMe: Type.Boolean({ description: "The instance's own messages also go to the received URL", examples: [false] }),
            callRejectAuto: Type.Boolean({ description: 'Not supported: false', examples: [false] }),
            callRejectMessage: Type.Null({ description: 'Not supported', examples: [null] }),
            autoReadMessage: Type.Boolean({ description: 'Not supported: false', examples: [false] }),
            initialDataCallbackUrl: Type.Null({ description: 'Not supported', examples: [null] }),
          }),
          ...zapiErrors(401, 404),
        },
      },
    },
    async (request) => {
      const instance = await instances.get(zapiInstanceOf(request).id);
      const urls: Record<string, string | null> = {};
      for (const [kind, field] of Object.entries(ZAPI_WEBHOOK_KINDS))
        urls[field] = (await webhooks.providerSubscription(instance.id, 'z-api', kind as ZapiWebhookKind))?.url ?? null;
      return {
        id: instance.id,
        token: null,
        name: instance.name,
        due: NEVER_DUE,
        connected: statusOf(instance.id, instance.status) === 'connected',
        paymentStatus: 'RECEIVED',
        created: instance.createdAt,
        connectedCallbackUrl: urls.connectedCallbackUrl ?? null,
        deliveryCallbackUrl: urls.deliveryCallbackUrl ?? null,
        disconnectedCallbackUrl: urls.disconnectedCallbackUrl ?? null,
        messageStatusCallbackUrl: urls.messageStatusCallbackUrl ?? null,
        presenceChatCallbackUrl: urls.presenceChatCallbackUrl ?? null,
        receivedCallbackUrl: urls.receivedCallbackUrl ?? null,
        receiveCallbackSentByMe: instance.settings[NOTIFY_SENT_BY_ME_SETTING] === true,
        callRejectAuto: false,
        callRejectMessage: null,
        autoReadMessage: false,
        initialDataCallbackUrl: null,
      };
    },
  );

  app.get(
    '/status',
    {
      config: { session: true },
      schema: {
        tags,
        summary: 'Whether the number is connected',
        params: ZapiParams,
        response: {
          200: Type.Object({
            connected: Type.Boolean({ description: 'Connected to WhatsApp', examples: [true] }),
            error: Type.String({ description: "Z-API's status wording", examples: ['You are already connected.'] }),
            smartphoneConnected: Type.Boolean({ description: 'The phone is reachable (same as connected here)', examples: [true] }),
          }),
          ...zapiErrors(401, 404),
        },
      },
    },
    async (request) => {
      const instance = zapiInstanceOf(request);
      const status = instances.rawSession(instance.id)?.status().status ?? instance.status;
      const connected = status === 'connected';
      return { connected, error: statusError(status), smartphoneConnected: connected };
    },
  );

  app.post(
    '/send-text',
    {
      schema: {
        tags,
        summary: 'Send a text to a number or a group',
        params: ZapiParams,
        body: Type.Object({
          phone: Type.String({ minLength: 1, maxLength: 64, description: 'Digits with country code, or a group id (`<digits>-group`)', examples: ['5511999999999'] }),
          message: Type.String({ minLength: 1, maxLength: 20000, description: 'The text', examples: ['Welcome!'] }),
        }),
        response: {
          200: Type.Object({
            zaapId: Type.String({ description: 'Id of the send (the message id, as in the DeliveryCallback)', examples: ['3EB0C767D26A1D0F'] }),
            messageId: Type.String({ description: 'WhatsApp message id', examples: ['3EB0C767D26A1D0F'] }),
            id: Type.String({ description: 'Same as messageId (kept for Zapier)', examples: ['3EB0C767D26A1D0F'] }),
          }),
          ...zapiErrors(400, 401, 404, 429),
        },
      },
    },
    async (request) => {
      const instance = zapiInstanceOf(request);
      const { phone, message } = request.body;
      const chatId = isZapiGroupPhone(phone) ? zapiGroupId(phone, 'phone') : phone;
      const sent = await messages.sendText(instance.id, chatId, message);
      // zaapId is the message id, as in the DeliveryCallback that follows.
      return { zaapId: sent.id, messageId: sent.id, id: sent.id };
    },
  );
};
