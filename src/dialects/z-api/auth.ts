/**
 * Z-API credentials: the instance id and token in the path, and the optional `Client-Token` header
 * once the instance has one set (`PUT /api/instances/{id}/zapi-client-token`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashesEqual, hashSecret } from '../../core/common/ids.js';
import type { Instance } from '../../core/instances/instance-model.js';
import type { HttpDeps } from '../../http/deps.js';
import { ZapiReplyError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The instance a Z-API request acts as, once its credentials were checked. */
    zapiInstance?: Instance;
  }
}

/** Answers sent for refused credentials. Neither echoes what the client sent. */
export const ZAPI_AUTH_ERRORS = {
  instanceNotFound: { error: 'Instance not found' },
  badToken: { error: 'Invalid token' },
  clientTokenMissing: { error: 'null not allowed' },
  clientTokenWrong: { error: 'Client-Token not allowed' },
} as const;

/** An onRequest hook resolving and checking the instance of a Z-API request. */
export function zapiAuth({ core, limiter }: HttpDeps) {
  const { store, access } = core;
  const refuse = (request: FastifyRequest, status: number, body: Record<string, unknown>): never => {
    limiter.fail(request.ip);
    throw new ZapiReplyError(status, body);
  };

  return async (request: FastifyRequest, reply: FastifyReply) => {
    const { instanceId, token } = (request.params ?? {}) as { instanceId?: string; token?: string };
    if (!instanceId || !token) return; // not a Z-API route (the scope's 404 answers)
    const wait = limiter.blockedFor(request.ip);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new ZapiReplyError(429, { error: 'too_many_auth_failures', message: 'too many failed authentications from this address; try again later' });
    }
    let instance = await store.instances.get(instanceId);
    if (!instance && /^\d{1,20}$/.test(instanceId)) instance = await store.instances.getByIdInstance(instanceId);
    if (!instance) return refuse(request, 404, ZAPI_AUTH_ERRORS.instanceNotFound);
    const principal = await access.authenticate(token);
    if (principal?.kind !== 'instance' || principal.instanceId !== instance.id) return refuse(request, 401, ZAPI_AUTH_ERRORS.badToken);
    const expected = instance.settings.zapiClientTokenHash;
    if (typeof expected === 'string' && expected) {
      const header = request.headers['client-token'];
      const presented = (Array.isArray(header) ? header[0] : header)?.trim();
      if (!presented) return refuse(request, 401, ZAPI_AUTH_ERRORS.clientTokenMissing);
      if (presented.length > 512 || !hashesEqual(hashSecret(presented), expected)) return refuse(request, 401, ZAPI_AUTH_ERRORS.clientTokenWrong);
    }
    request.zapiInstance = instance;
  };
}

/** The checked instance of a Z-API request. */
export function zapiInstanceOf(request: FastifyRequest): Instance {
  if (!request.zapiInstance) throw new ZapiReplyError(401, ZAPI_AUTH_ERRORS.badToken);
  return request.zapiInstance;
}
