/**
 * Linking a real number: the current QR code (as text and as a PNG data URL) and an 8-character
 * pairing code for phones without a camera. Only a session waiting to be linked has either.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '../../core/common/errors.js';
import { normalizePhone } from '../../core/common/phone.js';
import { EngineError } from '../../core/ports/engine.js';
import { requireInstance } from '../auth.js';
import type { ApiServices } from '../deps.js';
import { errorResponses, InstanceIdParam } from './schemas.js';

const QrBody = Type.Object({
  qr: Type.String({ description: 'The QR payload WhatsApp rotates about every 20 s; render it yourself or use `image`', examples: ['2@AbC...,xyz=,abc=,def='] }),
  image: Type.String({ description: 'The same QR as a PNG data URL', examples: ['data:image/png;base64,iVBORw0KGgo...'] }),
});

/** QR and pairing-code routes under /api. */
export const linkingRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'access' | 'instances'>> = async (app, { access, instances }) => {
  /** The session waiting to be linked, or 409 `qr_not_available` naming the status. */
  async function linkable(id: string) {
    const instance = await instances.get(id);
    const session = instances.rawSession(id);
    const state = session?.status() ?? { status: instance.status, reason: instance.statusReason };
    const unavailable = () => new DomainError('qr_not_available', `no QR code: instance ${id} is ${state.status} (${state.reason})`, { status: state.status });
    return { session, state, unavailable };
  }

  app.get(
    '/instances/:id/qr',
    {
      config: { session: true },
      schema: {
        tags: ['instances'],
        summary: 'The QR code to link a real number (while status is "qr")',
        params: InstanceIdParam,
        response: { 200: QrBody, ...errorResponses(401, 404, 409) },
      },
    },
    async (request) => {
      requireInstance(access, request, request.params.id);
      const { session, unavailable } = await linkable(request.params.id);
      const qr = session?.currentQr?.();
      if (!qr) throw unavailable();
      const qrcode = await import('qrcode');
      return { qr, image: await qrcode.toDataURL(qr, { errorCorrectionLevel: 'L', margin: 2 }) };
    },
  );

  app.post(
    '/instances/:id/pairing-code',
    {
      schema: {
        tags: ['instances'],
        summary: 'An 8-character pairing code to link a real number without scanning (WhatsApp > Linked devices > Link with phone number)',
        params: InstanceIdParam,
        body: Type.Object(
          { phone: Type.String({ minLength: 1, maxLength: 32, description: 'The number to link (+E164 or digits)', examples: ['+15550001111'] }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ code: Type.String({ description: 'Type it on the phone; valid while the status is "pairing"', examples: ['ABCD1234'] }) }),
          ...errorResponses(400, 401, 404, 409),
        },
      },
    },
    async (request) => {
      requireInstance(access, request, request.params.id);
      const phone = normalizePhone(request.body.phone);
      if (!phone) throw new DomainError('validation_failed', `invalid phone: ${JSON.stringify(request.body.phone)}; use +E164 or digits`);
      const { session, state, unavailable } = await linkable(request.params.id);
      if (!session?.requestPairingCode || (state.status !== 'qr' && state.status !== 'pairing')) throw unavailable();
      try {
        return { code: await session.requestPairingCode(phone) };
      } catch (err) {
        if (err instanceof EngineError) throw unavailable();
        throw err;
      }
    },
  );
};
