import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '../../core/common/errors.js';
import { normalizePhone } from '../../core/common/phone.js';
import { requireAdmin } from '../auth.js';
import type { ApiServices } from '../deps.js';
import { errorResponses } from './schemas.js';

const Privacy = Type.Union([Type.Literal('everyone'), Type.Literal('contacts'), Type.Literal('nobody')], {
  description: 'Who may add this number to groups',
  examples: ['nobody'],
});
const Account = Type.Object({
  phone: Type.String({ description: 'The number, E.164', examples: ['+5511999999999'] }),
  registered: Type.Boolean({ description: 'Whether the number is on WhatsApp', examples: [true] }),
  groupAddPrivacy: Privacy,
  contacts: Type.Array(Type.String(), { description: 'Numbers (E.164) saved as contacts', examples: [['+15550001111']] }),
  name: Type.Union([Type.String(), Type.Null()], { description: "The display name others see on this number's messages (push name)", examples: ['Ana'] }),
  lid: Type.Union([Type.String(), Type.Null()], { description: 'The account LID', examples: ['207829930107042@lid'] }),
});
const PhoneParam = Type.Object({ phone: Type.String({ minLength: 1, maxLength: 32, description: 'The number (+E164 or digits)', examples: ['+5511999999999'] }) });

function parsePhone(input: string): string {
  // The router already decoded the path once: decoding again turns `%25` into a crash.
  const phone = normalizePhone(input);
  if (!phone) throw new DomainError('validation_failed', `invalid phone: ${JSON.stringify(input)}; use +E164 or digits`);
  return phone;
}

/** The sandbox directory of accounts: seed who is on WhatsApp and their privacy (admin only). */
export const sandboxRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'access' | 'sandbox'>> = async (app, { access, sandbox }) => {
  app.addHook('onRequest', async (request) => requireAdmin(access, request));

  const view = (phone: string) => {
    const a = sandbox.getAccount(phone);
    return { phone: `+${phone}`, registered: a.registered, groupAddPrivacy: a.groupAddPrivacy, contacts: a.contacts.map((c) => `+${c}`), lid: a.lid ?? null, name: a.name ?? null };
  };

  app.put(
    '/sandbox/accounts/:phone',
    {
      schema: {
        tags: ['sandbox'],
        summary: 'Seed a sandbox account (registered or not, privacy, contacts, display name)',
        params: PhoneParam,
        body: Type.Object(
          {
            registered: Type.Boolean({ description: 'Whether the number is on WhatsApp', examples: [true] }),
            groupAddPrivacy: Privacy,
            contacts: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10000, description: 'Numbers saved as contacts', examples: [['+15550001111']] })),
            name: Type.Optional(
              Type.String({ maxLength: 100, description: "The display name others see on this number's messages (push name); empty removes it", examples: ['Ana'] }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Account, ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => {
      const phone = parsePhone(request.params.phone);
      const contacts = (request.body.contacts ?? []).map((c) => {
        const p = normalizePhone(c);
        if (!p) throw new DomainError('invalid_participant', `invalid contact: ${JSON.stringify(c)}`, { invalid: [c] });
        return p;
      });
      await sandbox.seedAccount(phone, { registered: request.body.registered, groupAddPrivacy: request.body.groupAddPrivacy, contacts, name: request.body.name });
      return view(phone);
    },
  );

  app.get(
    '/sandbox/accounts/:phone',
    { schema: { tags: ['sandbox'], summary: 'Read a sandbox account', params: PhoneParam, response: { 200: Account, ...errorResponses(400, 401, 403) } } },
    async (request) => {
      const phone = parsePhone(request.params.phone);
      await sandbox.refresh();
      return view(phone);
    },
  );
};
