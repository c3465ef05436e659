/**
 * Z-API credentials: the instance id and token in the path, and the optional `Client-Token` header
 * once the instance has one set (`PUT /api/instances/{id}/zapi-client-token`).
 */
import type { FastifyRequest } from 'fastify';
import { hashesEqual, hashSecret } from '../../core/common/ids.js';
import type { Instance } from '../../core/instances/instance-model.js';
import type { ApiServices } from '../../http/deps.js';
import { failed, instanceFromPath, type CredentialRefusals } from '../kit/credentials.js';
import { DialectReplyError } from '../kit/reply-error.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The instance a Z-API request acts as, once its credentials were checked. */
    zapiInstance?: Instance;
  }
}

/** The instance setting holding the hash of the instance's Client-Token. */
export const CLIENT_TOKEN_SETTING = 'zapiClientTokenHash';

/** Answers sent for refused credentials. Neither echoes what the client sent. */
export const ZAPI_AUTH_ERRORS = {
  instanceNotFound: { error: 'Instance not found' },
  badToken: { error: 'Invalid token' },
  clientTokenMissing: { error: 'null not allowed' },
  clientTokenWrong: { error: 'Client-Token not allowed' },
} as const;

const REFUSALS: CredentialRefusals = {
  blocked: (seconds) =>
    new DialectReplyError(
      429,
      { error: 'too_many_auth_failures', message: 'too many failed authentications from this address; try again later' },
      { 'retry-after': String(seconds) },
    ),
  unknownInstance: () => new DialectReplyError(404, ZAPI_AUTH_ERRORS.instanceNotFound),
  wrongToken: () => new DialectReplyError(401, ZAPI_AUTH_ERRORS.badToken),
};

/** An onRequest hook resolving and checking the instance of a Z-API request. */
export function zapiAuth(deps: Pick<ApiServices, 'access' | 'instances' | 'limiter'>) {
  const { instances } = deps;
  const lookup = async (instanceId: string) => (await instances.find(instanceId)) ?? (await instances.findByIdInstance(instanceId));

  return async (request: FastifyRequest) => {
    const { instanceId, token } = (request.params ?? {}) as { instanceId?: string; token?: string };
    if (!instanceId || !token) return; // not a Z-API route (the scope's 404 answers)
    const instance = await instanceFromPath(deps, request, () => lookup(instanceId), token, REFUSALS);
    const expected = instance.settings[CLIENT_TOKEN_SETTING];
    if (typeof expected === 'string' && expected) {
      const header = request.headers['client-token'];
      const presented = (Array.isArray(header) ? header[0] : header)?.trim();
      if (!presented) throw await failed(deps, request, new DialectReplyError(401, ZAPI_AUTH_ERRORS.clientTokenMissing));
      if (presented.length > 512 || !hashesEqual(hashSecret(presented), expected)) throw await failed(deps, request, new DialectReplyError(401, ZAPI_AUTH_ERRORS.clientTokenWrong));
    }
    request.zapiInstance = instance;
  };
}

/** The checked instance of a Z-API request. */
export function zapiInstanceOf(request: FastifyRequest): Instance {
  if (!request.zapiInstance) throw new DialectReplyError(401, ZAPI_AUTH_ERRORS.badToken);
  return request.zapiInstance;
}
