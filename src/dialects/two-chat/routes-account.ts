/**
 * 2Chat's account and messaging calls: `/open/info` (the credential test of 2Chat's n8n node),
 * `/open/whatsapp/get-numbers`, `/open/whatsapp/check-number/{from}/{to}` and
 * `/open/whatsapp/send-message` (to a number or to a group by uuid; text only).
 */
import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { Instance } from '../../core/instances/instance-model.js';
import type { ApiServices } from '../../http/deps.js';
import { DialectReplyError } from '../kit/reply-error.js';
import { instanceByNumber, strictE164 } from './auth.js';
import { badRequest, unprocessable } from './errors.js';
import type { TwoChatGroupRepository } from './group-handle-repository.js';
import { FromNumber, twoChatErrors } from './schemas.js';
import { channelUuid, connectionStatus } from './wire-format.js';
import { pageOf, PagingQuery } from './paging.js';

const Success = Type.Boolean({ description: 'The request was carried out', examples: [true] });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

/** 2Chat's `YYYY-MM-DD HH:MM:SS` (UTC). */
const plain = (iso: string) => iso.slice(0, 19).replace('T', ' ');

const country = (e164: string) => parsePhoneNumberFromString(e164)?.country ?? null;

const NumberView = Type.Object({
  uuid: Type.String({ description: "The number's 2Chat uuid (stable, derived from the instance)", examples: ['WPN95841312-b54d-46e3-b0bc-6414f4a5296b'] }),
  friendly_name: Type.String({ description: "The instance's name", examples: ['my testing number'] }),
  phone_number: Type.String({ description: 'E.164', examples: ['+595981048477'] }),
  iso_country_code: Nullable(Type.String({ description: 'Two-letter country code', examples: ['PY'] })),
  pushname: Nullable(Type.String({ description: 'WhatsApp nickname (not known here: null)', examples: [null] })),
  server: Type.String({ description: 'WhatsApp id', examples: ['595981048477@c.us'] }),
  platform: Nullable(Type.String({ description: 'Device platform (not known here: null)', examples: [null] })),
  connection_status: Type.String({ description: 'C connected, D disconnected, F failure', examples: ['C'] }),
  enabled: Type.Boolean({ description: 'Always true', examples: [true] }),
  is_business_profile: Type.Boolean({ description: 'Always false here', examples: [false] }),
  channel_type: Type.String({ description: 'WW (WhatsApp Web)', examples: ['WW'] }),
  sync_contacts: Type.Boolean({ description: 'Always false here', examples: [false] }),
  created_at: Type.String({ description: 'When the instance was created (UTC)', examples: ['2022-10-31 22:05:44'] }),
  updated_at: Type.String({ description: 'Same as created_at', examples: ['2022-10-31 22:05:44'] }),
});

function numberView(i: Instance & { phone: string }) {
  const phone = `+${i.phone}`;
  return {
    uuid: channelUuid(i.id),
    friendly_name: i.name,
    phone_number: phone,
    iso_country_code: country(phone),
    pushname: null,
    server: `${i.phone}@c.us`,
    platform: null,
    connection_status: connectionStatus(i.status),
    enabled: true,
    is_business_profile: false,
    channel_type: 'WW',
    sync_contacts: false,
    created_at: plain(i.createdAt),
    updated_at: plain(i.createdAt),
  };
}

/** 2Chat's account, number and send-message routes. */
export const twoChatAccountRoutes: FastifyPluginAsyncTypebox<
  Pick<ApiServices, 'access' | 'instances' | 'messages'> & { handles: TwoChatGroupRepository; scope: 'open' | 'whatsapp' }
> = async (app, deps) => {
  const { access, instances, messages, handles } = deps;
  const tags = ['2chat'];

  if (deps.scope === 'open') {
    app.get(
      '/info',
      {
        schema: {
          tags,
          summary: 'The account behind the API key (what the n8n credential test calls)',
          response: {
            200: Type.Object({
              success: Success,
              account: Type.Object({
                name: Type.String({ description: 'groupgate and the key kind', examples: ['groupgate (scoped key)'] }),
                uuid: Type.String({ description: 'A stable id derived from the key', examples: ['ACC91be87af-5a29-4034-b599-342f2aeb5d52'] }),
                on_trial: Type.Boolean({ description: 'Always false', examples: [false] }),
                blocked: Type.Boolean({ description: 'Always false', examples: [false] }),
              }),
            }),
            ...twoChatErrors,
          },
        },
      },
      async (request) => {
        const p = request.twoChatPrincipal!;
        const keyId = p.kind === 'instance' ? p.instanceId : (p.keyId ?? 'admin');
        const h = createHash('sha256').update(`groupgate:2chat:account:${keyId}`).digest('hex');
        const uuid = `ACC${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
        return { success: true, account: { name: `groupgate (${access.isAdmin(p) ? 'admin key' : 'scoped key'})`, uuid, on_trial: false, blocked: false } };
      },
    );
    return;
  }

  app.get(
    '/get-numbers',
    {
      schema: {
        tags,
        summary: 'The numbers (instances with a phone) the key may use',
        querystring: Type.Object({
          ...PagingQuery,
          status: Type.Optional(Type.String({ maxLength: 20, description: 'connected, disconnected or all (default)', examples: ['connected'] })),
        }),
        response: {
          200: Type.Object({
            success: Success,
            numbers: Type.Array(NumberView),
            count: Type.Integer({ description: 'Numbers on this page (2Chat n8n node pages while count equals per_page)', examples: [1] }),
          }),
          ...twoChatErrors,
        },
      },
    },
    async (request) => {
      const status = (request.query.status ?? 'all').toLowerCase();
      if (!['all', 'connected', 'disconnected'].includes(status))
        throw unprocessable([{ loc: ['query', 'status'], msg: 'use connected, disconnected or all', type: 'value_error' }]);
      const ids = access.visibleInstances(request.twoChatPrincipal!);
      const all = (await instances.list(ids === null ? null : [...ids]))
        .filter((i): i is Instance & { phone: string } => !!i.phone)
        .map(numberView)
        .filter((n) => status === 'all' || (status === 'connected') === (n.connection_status === 'C'))
        .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.phone_number.localeCompare(b.phone_number));
      const numbers = pageOf(all, request.query);
      return { success: true, numbers, count: numbers.length };
    },
  );

  app.get(
    '/check-number/:from_number/:number',
    {
      schema: {
        tags,
        summary: 'Whether a number is on WhatsApp',
        params: Type.Object({ from_number: FromNumber, number: Type.String({ maxLength: 32, description: 'The number to check, E.164', examples: ['+5215512345432'] }) }),
        response: {
          200: Type.Object({
            success: Success,
            is_valid: Type.Boolean({ description: 'A valid phone number', examples: [true] }),
            on_whatsapp: Type.Boolean({ description: 'Registered on WhatsApp', examples: [true] }),
            number: Type.Object({
              iso_country_code: Nullable(Type.String({ description: 'Two-letter country code', examples: ['MX'] })),
              phone_number: Type.String({ description: 'E.164', examples: ['+5215512345432'] }),
            }),
          }),
          ...twoChatErrors,
        },
      },
    },
    async (request) => {
      const instance = await instanceByNumber(deps, request, request.params.from_number, ['path', 'from_number']);
      const digits = strictE164(request.params.number);
      if (!digits) return { success: true, is_valid: false, on_whatsapp: false, number: { iso_country_code: null, phone_number: request.params.number } };
      const { results } = await messages.checkContacts(instance.id, [`+${digits}`]);
      return { success: true, is_valid: true, on_whatsapp: !!results[0]?.registered, number: { iso_country_code: country(`+${digits}`), phone_number: `+${digits}` } };
    },
  );

  app.post(
    '/send-message',
    {
      schema: {
        tags,
        summary: 'Send a text to a number or to a group (by its uuid)',
        body: Type.Object({
          from_number: FromNumber,
          to_number: Type.Optional(Type.String({ maxLength: 32, description: 'A number, E.164; not with to_group_uuid', examples: ['+5215512345432'] })),
          to_group_uuid: Type.Optional(Type.String({ maxLength: 64, description: "A group's uuid; not with to_number", examples: ['WAG62598186-d2bd-4946-86c6-30f8a3c849c6'] })),
          text: Type.Optional(Type.String({ maxLength: 20000, description: 'The message', examples: ['Test from 2Chat API'] })),
          url: Type.Optional(Type.Unknown({ description: 'A media URL: not supported here (400 when set)', examples: [''] })),
          pin: Type.Optional(Type.Unknown({ description: 'A map pin: not supported here (400 when set)', examples: [{}] })),
        }),
        response: {
          200: Type.Object({
            success: Success,
            message_uuid: Type.String({ description: "The sent message's WhatsApp id (also the id of its webhook events)", examples: ['3EB0C767D26A1D0C5F5A'] }),
            batched: Type.Boolean({ description: 'Always false: the message is sent before the answer', examples: [false] }),
          }),
          ...twoChatErrors,
        },
      },
    },
    async (request) => {
      const { to_number: toNumber, to_group_uuid: toGroup, text, url, pin } = request.body;
      const instance = await instanceByNumber(deps, request, request.body.from_number, ['body', 'from_number']);
      const hasNumber = typeof toNumber === 'string' && toNumber.trim() !== '';
      const hasGroup = typeof toGroup === 'string' && toGroup.trim() !== '';
      if (hasNumber && hasGroup) throw badRequest("You can't use to_number and to_group_uuid in the same request");
      if (!hasNumber && !hasGroup) throw badRequest('Either to_number or to_group_uuid must be provided');
      const hasPin = pin !== undefined && pin !== null && !(typeof pin === 'object' && Object.keys(pin as object).length === 0);
      if ((url !== undefined && url !== null && url !== '') || hasPin) throw badRequest('groupgate sends text messages only: url (media) and pin (location) are not supported');
      if (!text) throw badRequest('text must be provided');
      let chatId: string;
      if (hasGroup) {
        const ref = await handles.get(toGroup.trim());
        if (!ref || ref.instanceId !== instance.id) throw new DialectReplyError(404, { success: false, message: `no group with uuid ${toGroup} on the number +${instance.phone}` });
        chatId = ref.groupId;
      } else {
        const digits = strictE164(toNumber!.trim());
        if (!digits)
          throw unprocessable([{ loc: ['body', 'to_number'], msg: 'value is not a valid phone number in E.164 format (+<country code><number>)', type: 'value_error.phone' }]);
        chatId = `+${digits}`;
      }
      const sent = await messages.sendText(instance.id, chatId, text);
      return { success: true, message_uuid: sent.id, batched: false };
    },
  );
};
