/** Green API's instance methods: state, settings, QR, logout, reboot, and sendMessage. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import QRCode from 'qrcode';
import { DomainError } from '../../core/common/errors.js';
import type { Instance } from '../../core/instances/instance-model.js';
import { GREEN_DEFAULT_SETTINGS, GREEN_SETTINGS_KEY, GROUP_NOTIFICATIONS_SWITCH, greenSettings, greenState, greenWid, type GreenSettings } from './wire-format.js';
import type { ApiServices } from '../../http/deps.js';
import { instanceOf } from './auth.js';
import { path } from './groups.js';
import type { GreenQueue } from './queue.js';
import { errors, Params, QrReply, SendMessageBody, SendMessageReply, SettingsBody, SettingsReply, StateReply } from './schemas.js';

function checkWebhookUrl(url: string): void {
  if (url === '') return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DomainError('validation_failed', '"webhookUrl" must be a valid uri');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new DomainError('validation_failed', '"webhookUrl" must be an http or https uri');
}

export const greenAccountRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'instances' | 'messages' | 'webhooks'> & { queue: GreenQueue }> = async (
  app,
  { instances, messages, webhooks, queue },
) => {
  const tags = ['green-api'];
  const fresh = async (instance: Instance) => instances.get(instance.id);

  app.get(
    path('getStateInstance'),
    { config: { session: true }, schema: { tags, summary: 'Instance state', params: Params, response: { 200: StateReply, ...errors(401, 403, 429) } } },
    async (request) => ({
      stateInstance: greenState((await fresh(instanceOf(request))).status),
    }),
  );

  app.get(
    path('getSettings'),
    { schema: { tags, summary: 'Instance settings (Green API format)', params: Params, response: { 200: SettingsReply, ...errors(401, 403, 429) } } },
    async (request) => {
      const instance = await fresh(instanceOf(request));
      const { [GROUP_NOTIFICATIONS_SWITCH]: groupNotifications, ...settings } = greenSettings(instance);
      // The token lives only in the subscription (sealed), so it is answered from there: "" once the URL is cleared.
      settings.webhookUrlToken = settings.webhookUrl ? ((await webhooks.providerAuthorization(instance.id, 'green-api')) ?? '') : '';
      return {
        wid: greenWid(instance),
        countryInstance: '',
        typeAccount: '',
        ...settings,
        sharedSession: 'no',
        // groupgate's own extension: shown only once turned on, so a default instance answers exactly Green API's fields.
        ...(groupNotifications === 'yes' ? { [GROUP_NOTIFICATIONS_SWITCH]: groupNotifications } : {}),
      };
    },
  );

  app.post(
    path('setSettings'),
    {
      schema: {
        tags,
        summary: 'Change instance settings; a webhookUrl sends notifications by webhook instead of the queue',
        params: Params,
        body: SettingsBody,
        response: { 200: { type: 'object', properties: { saveSettings: { type: 'boolean', description: 'Saved', examples: [true] } } }, ...errors(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const instance = await fresh(instanceOf(request));
      const before = greenSettings(instance);
      if (request.body.webhookUrl !== undefined) checkWebhookUrl(request.body.webhookUrl);
      // webhookUrlToken is never kept in the settings: the subscription's sealed Authorization value is its only copy.
      const known = (Object.keys(GREEN_DEFAULT_SETTINGS) as (keyof GreenSettings)[]).filter((key) => key !== 'webhookUrlToken');
      const { webhookUrlToken: _legacy, ...stored } = (instance.settings[GREEN_SETTINGS_KEY] ?? {}) as Record<string, unknown>;
      for (const key of known) {
        const value = (request.body as Record<string, unknown>)[key];
        if (value !== undefined) stored[key] = value;
      }
      const after = greenSettings({ ...instance, settings: { ...instance.settings, [GREEN_SETTINGS_KEY]: stored } });
      const token = request.body.webhookUrlToken ?? (await webhooks.providerAuthorization(instance.id, 'green-api')) ?? '';
      // The webhook URL becomes (or stops being) a green-api subscription first: a URL the server
      // may not call is refused before anything is saved. Clearing the URL forgets the token.
      await webhooks.upsertProviderSubscription(instance.id, 'green-api', { url: after.webhookUrl || null, token: token || undefined });
      await instances.putSetting(instance.id, GREEN_SETTINGS_KEY, stored);
      // While a webhook is set, the queue stays empty; whatever happened meanwhile went by webhook
      // (or nowhere), so removing the webhook starts the queue afresh rather than replaying it.
      if (before.webhookUrl && !after.webhookUrl) await queue.skipAll(instance.id);
      return { saveSettings: true };
    },
  );

  app.get(
    path('qr'),
    { config: { session: true }, schema: { tags, summary: 'QR code to link the instance', params: Params, response: { 200: QrReply, ...errors(401, 403, 429) } } },
    async (request) => {
      const instance = await fresh(instanceOf(request));
      if (instance.status === 'connected') return { type: 'alreadyLogged', message: 'instance account already authorized' };
      const qr = instances.rawSession(instance.id)?.currentQr?.();
      if (qr) {
        const dataUrl = await QRCode.toDataURL(qr);
        return { type: 'qrCode', message: dataUrl.replace(/^data:image\/png;base64,/, '') };
      }
      return { type: 'error', message: `no QR code is available: the instance is ${instance.status}` };
    },
  );

  app.get(
    path('logout'),
    {
      config: { session: true },
      schema: {
        tags,
        summary: 'Unlink the instance from WhatsApp',
        params: Params,
        response: { 200: { type: 'object', properties: { isLogout: { type: 'boolean', description: 'Logged out', examples: [true] } } }, ...errors(401, 403, 429) },
      },
    },
    async (request) => {
      await instances.logout(instanceOf(request).id);
      return { isLogout: true };
    },
  );

  app.get(
    path('reboot'),
    {
      config: { session: true },
      schema: {
        tags,
        summary: 'Restart the instance connection',
        params: Params,
        response: { 200: { type: 'object', properties: { isReboot: { type: 'boolean', description: 'Restarted', examples: [true] } } }, ...errors(401, 403, 429) },
      },
    },
    async (request) => {
      await instances.restart(instanceOf(request).id);
      return { isReboot: true };
    },
  );

  app.post(
    path('sendMessage'),
    { schema: { tags, summary: 'Send a text message', params: Params, body: SendMessageBody, response: { 200: SendMessageReply, ...errors(400, 401, 403, 429) } } },
    async (request) => {
      const sent = await messages.sendText(instanceOf(request).id, request.body.chatId, request.body.message);
      return { idMessage: sent.id };
    },
  );
};
