/**
 * Green API's service, account-information and journal methods that official clients call in their
 * first hour: getContacts, getChats, checkWhatsapp, getAvatar, getContactInfo, getAuthorizationCode,
 * getWaSettings, getStatusInstance, lastIncomingMessages, lastOutgoingMessages. Served from the
 * store, the event log and the engine; the shapes are Green API's (see docs/green-api.md).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '../../core/common/errors.js';
import type { EventRecord } from '../../core/events/event-model.js';
import type { ApiServices } from '../../http/deps.js';
import { instanceOf } from './auth.js';
import { path } from './groups.js';
import { errors, Params } from './schemas.js';
import { greenChatId, greenPerson, greenState, greenWid } from './wire-format.js';

const DAY_MINUTES = 1440;
const GROUP_PAGE = 500;

const str = (description: string, example: string) => Type.String({ description, examples: [example] });
const bool = (description: string, example: boolean) => Type.Boolean({ description, examples: [example] });

const Contact = Type.Object({
  id: str('Chat id', '79001234567@c.us'),
  name: str('Name (group subject, or the name the person gave WhatsApp)', 'Customers'),
  contactName: str('Name in the phone book ("": groupgate has none)', ''),
  type: str('user or group', 'group'),
});
const Chat = Type.Object({
  archive: bool('Archived (never, here)', false),
  id: str('Chat id', '120363043968066561@g.us'),
  ephemeralExpiration: Type.Integer({ description: 'Disappearing messages, seconds', examples: [0] }),
  ephemeralSettingTimestamp: Type.Integer({ description: 'When that was set (0: unknown)', examples: [0] }),
  name: str('Contact or group name', 'Customers'),
  type: str('user or group', 'group'),
});
const PhoneBody = Type.Object({
  phoneNumber: Type.Integer({ minimum: 1, description: 'Phone number, international format, digits only', examples: [79001234567] }),
});
const ChatIdBody = Type.Object({ chatId: Type.String({ minLength: 1, maxLength: 100, description: 'Chat id', examples: ['79001234567@c.us'] }) });
const MinutesQuery = Type.Object({
  minutes: Type.Integer({ minimum: 1, maximum: 10_080, default: DAY_MINUTES, description: 'How far back, in minutes (default 1440)', examples: [1440] }),
});
const Journal = Type.Array(Type.Object({}, { additionalProperties: true, description: 'One message (see docs/green-api.md)' }), { description: 'Newest first' });

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const text = (v: unknown) => (typeof v === 'string' ? v : '');

/** A chat id from a Green API body: a group id, or a person in @c.us / digits form. */
function chatIdOf(raw: string): string {
  const id = raw.trim();
  if (/^\d{5,20}(-\d+)?@g\.us$/.test(id)) return id;
  const digits = /^(\d{6,15})(@c\.us)?$/.exec(id)?.[1];
  if (!digits) throw new DomainError('validation_failed', '"chatId" must be <digits>@c.us or <digits>@g.us');
  return `${digits}@c.us`;
}

export const greenServiceRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'groups' | 'instances' | 'messages' | 'now'>> = async (app, { groups, instances, messages, now }) => {
  const tags = ['green-api'];

  /** Every group of the instance from the store, participants included. */
  async function allGroups(instanceId: string) {
    const out = [];
    for (let offset = 0; ; offset += GROUP_PAGE) {
      const page = await groups.list(instanceId, { limit: GROUP_PAGE, offset });
      for (const g of page.groups) out.push(await groups.get(instanceId, g.id));
      if (page.groups.length < GROUP_PAGE) return out;
    }
  }

  /** The names people gave WhatsApp, as seen on their messages (latest wins). */
  function pushNames(events: EventRecord[]): Map<string, string> {
    const names = new Map<string, string>();
    for (const e of events) {
      if (e.type !== 'message.received') continue;
      const who = greenPerson(e.data.from as never) || greenChatId(e.data.chatId as string);
      if (text(e.data.senderName)) names.set(who, text(e.data.senderName));
    }
    return names;
  }

  app.get(
    path('getContacts'),
    {
      config: { session: true },
      schema: { tags, summary: 'Contacts: the groups and the people known to the instance', params: Params, response: { 200: Type.Array(Contact), ...errors(400, 401, 403, 429) } },
    },
    async (request) => {
      const id = instanceOf(request).id;
      await instances.session(id); // not authorized -> 400, as every Green API method
      const me = greenWid(await instances.get(id));
      const names = pushNames(await messages.journal(id, 0));
      const list = await allGroups(id);
      const people = new Map<string, string>();
      for (const g of list) for (const p of g.participants) people.set(greenPerson(p), '');
      for (const [who, name] of names) if (!who.endsWith('@g.us')) people.set(who, name);
      people.delete(me);
      people.delete('');
      return [
        ...[...people].map(([pid, name]) => ({ id: pid, name: name || names.get(pid) || '', contactName: '', type: 'user' })),
        ...list.map((g) => ({ id: g.id, name: g.name, contactName: '', type: 'group' })),
      ];
    },
  );

  app.get(
    path('getChats'),
    {
      config: { session: true },
      schema: {
        tags,
        summary: 'Chats: the groups and the people the instance exchanged messages with, latest activity first',
        params: Params,
        querystring: Type.Object({ count: Type.Optional(Type.Integer({ minimum: 1, description: 'At most this many chats', examples: [100] })) }),
        response: { 200: Type.Array(Chat), ...errors(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const id = instanceOf(request).id;
      await instances.session(id);
      const journal = await messages.journal(id, 0);
      const names = pushNames(journal);
      const activity = new Map<string, number>();
      for (const e of journal) activity.set(greenChatId(e.data.chatId as string), Date.parse(e.occurredAt));
      const chats = new Map<string, { name: string; type: string; ephemeral: number; at: number }>();
      for (const g of await allGroups(id)) {
        chats.set(g.id, { name: g.name, type: 'group', ephemeral: g.settings.ephemeralSeconds ?? 0, at: activity.get(g.id) ?? Date.parse(g.createdAt) });
      }
      for (const [chat, at] of activity) if (!chats.has(chat) && !chat.endsWith('@g.us')) chats.set(chat, { name: names.get(chat) ?? '', type: 'user', ephemeral: 0, at });
      const sorted = [...chats].sort((a, b) => b[1].at - a[1].at);
      return sorted.slice(0, request.query.count ?? sorted.length).map(([chat, c]) => ({
        archive: false,
        id: chat,
        ephemeralExpiration: c.ephemeral,
        ephemeralSettingTimestamp: 0,
        name: c.name,
        type: c.type,
      }));
    },
  );

  app.post(
    path('checkWhatsapp'),
    {
      schema: {
        tags,
        summary: 'Whether a number has WhatsApp',
        params: Params,
        body: PhoneBody,
        response: { 200: Type.Object({ existsWhatsapp: bool('The number has a WhatsApp account', true) }), ...errors(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const [r] = (await messages.checkContacts(instanceOf(request).id, [String(request.body.phoneNumber)])).results;
      return { existsWhatsapp: !!r?.registered };
    },
  );

  app.post(
    path('getAvatar'),
    {
      schema: {
        tags,
        summary: 'Avatar of a chat (groupgate serves none: urlAvatar is always "")',
        params: Params,
        body: ChatIdBody,
        response: {
          200: Type.Object({
            existsWhatsapp: bool('The chat exists on WhatsApp', true),
            urlAvatar: str('Avatar URL ("" when none)', ''),
            available: bool('An avatar is available', false),
            reason: str('Why none is given', 'no avatar'),
          }),
          ...errors(400, 401, 403, 429),
        },
      },
    },
    async (request) => {
      const id = instanceOf(request).id;
      const chatId = chatIdOf(request.body.chatId);
      let exists: boolean;
      if (chatId.endsWith('@g.us')) {
        exists = await groups.get(id, chatId).then(
          () => true,
          () => false,
        );
      } else {
        const [r] = (await messages.checkContacts(id, [chatId.replace('@c.us', '')])).results;
        exists = !!r?.registered;
      }
      return { existsWhatsapp: exists, urlAvatar: '', available: false, reason: 'no avatar' };
    },
  );

  app.post(
    path('getContactInfo'),
    {
      schema: {
        tags,
        summary: 'What the instance knows of a contact',
        params: Params,
        body: ChatIdBody,
        response: { 200: Type.Object({}, { additionalProperties: true, description: "Green API's contact info (see docs/green-api.md)" }), ...errors(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const id = instanceOf(request).id;
      const chatId = chatIdOf(request.body.chatId);
      await instances.session(id);
      let name = '';
      if (chatId.endsWith('@g.us')) name = (await groups.get(id, chatId)).name;
      else name = pushNames(await messages.journal(id, 0)).get(chatId) ?? '';
      return {
        avatar: '',
        name,
        contactName: '',
        email: '',
        category: '',
        description: '',
        products: [],
        chatId,
        lastSeen: null,
        isArchive: false,
        isDisappearing: false,
        isMute: false,
        messageExpiration: 0,
        muteExpiration: null,
        isBusiness: false,
      };
    },
  );

  app.post(
    path('getAuthorizationCode'),
    {
      schema: {
        tags,
        summary: 'A pairing code to link the instance by phone number instead of the QR code',
        params: Params,
        body: PhoneBody,
        response: { 200: Type.Object({ status: bool('A code was issued', true), code: str('The code to type on the phone', 'ABCD1234') }), ...errors(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const instance = await instances.get(instanceOf(request).id);
      const session = instances.rawSession(instance.id);
      // As Green API: status false when the instance is already authorized or no code can be had.
      if (!session?.requestPairingCode || (instance.status !== 'qr' && instance.status !== 'pairing')) return { status: false, code: '' };
      try {
        return { status: true, code: await session.requestPairingCode(String(request.body.phoneNumber)) };
      } catch {
        return { status: false, code: '' };
      }
    },
  );

  app.get(
    path('getWaSettings'),
    {
      config: { session: true },
      schema: {
        tags,
        summary: 'The WhatsApp account behind the instance',
        params: Params,
        response: {
          200: Type.Object({
            avatar: str('Avatar URL ("": groupgate serves none)', ''),
            phone: str('The account number ("" until authorized)', '79001234567'),
            stateInstance: str('As getStateInstance', 'authorized'),
            deviceId: str('Device id ("" until authorized)', '79001234567@s.whatsapp.net'),
          }),
          ...errors(401, 403, 429),
        },
      },
    },
    async (request) => {
      const instance = await instances.get(instanceOf(request).id);
      const state = greenState(instance.status);
      const linked = state === 'authorized' && !!instance.phone;
      const phone = linked ? instance.phone!.replace(/^\+/, '') : '';
      return { avatar: '', phone, stateInstance: state, deviceId: linked ? `${phone}@s.whatsapp.net` : '' };
    },
  );

  app.get(
    path('getStatusInstance'),
    {
      config: { session: true },
      schema: {
        tags,
        summary: 'Whether the instance is connected to WhatsApp',
        params: Params,
        response: { 200: Type.Object({ statusInstance: str('online or offline', 'online') }), ...errors(401, 403, 429) },
      },
    },
    async (request) => {
      const instance = await instances.get(instanceOf(request).id);
      return { statusInstance: instance.status === 'connected' ? 'online' : 'offline' };
    },
  );

  /** The latest status of each message, from the journal. */
  const statuses = (journal: EventRecord[]) => {
    const out = new Map<string, string>();
    for (const e of journal) if (e.type === 'message.status') out.set(String(e.data.messageId), String(e.data.status));
    return out;
  };
  const typeMessage = (d: Record<string, unknown>) => (d.groupInvite ? 'groupInviteMessage' : 'textMessage');

  app.get(
    path('lastIncomingMessages'),
    {
      schema: {
        tags,
        summary: 'Messages received in the last `minutes` (default 24 h), newest first',
        params: Params,
        querystring: MinutesQuery,
        response: { 200: Journal, ...errors(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const id = instanceOf(request).id;
      const journal = await messages.journal(id, now() - request.query.minutes * 60_000);
      return journal
        .filter((e) => e.type === 'message.received' && (typeof e.data.text === 'string' || e.data.groupInvite))
        .reverse()
        .map((e) => {
          const d = e.data;
          const chatId = greenChatId(d.chatId as string);
          return {
            type: 'incoming',
            idMessage: String(d.messageId),
            timestamp: seconds(text(d.timestamp) || e.occurredAt),
            typeMessage: typeMessage(d),
            chatId,
            senderId: greenPerson(d.from as never) || chatId,
            senderName: text(d.senderName),
            senderContactName: '',
            textMessage: text(d.text),
          };
        });
    },
  );

  app.get(
    path('lastOutgoingMessages'),
    {
      schema: {
        tags,
        summary: 'Messages sent in the last `minutes` (default 24 h), newest first',
        params: Params,
        querystring: MinutesQuery,
        response: { 200: Journal, ...errors(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const id = instanceOf(request).id;
      const journal = await messages.journal(id, now() - request.query.minutes * 60_000);
      const status = statuses(journal);
      return journal
        .filter((e) => e.type === 'message.sent')
        .reverse()
        .map((e) => {
          const d = e.data;
          return {
            type: 'outgoing',
            idMessage: String(d.messageId),
            timestamp: seconds(text(d.timestamp) || e.occurredAt),
            typeMessage: typeMessage(d),
            chatId: greenChatId(d.chatId as string),
            textMessage: text(d.text),
            statusMessage: status.get(String(d.messageId)) ?? 'sent',
            sendByApi: true,
          };
        });
    },
  );
};
