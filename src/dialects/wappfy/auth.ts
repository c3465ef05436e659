/**
 * Wappfy credentials: a groupgate API key (admin, or scoped to some instances), sent as
 * `X-Api-Key: <key>` or `Authorization: Bearer <key>` as Wappfy documents both. Instance tokens are
 * not keys here. Keys are checked on their hash in constant time by the access service; failures
 * count toward the per-address limit shared with the native API.
 */
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../core/access/access-service.js';
import { isDomainError } from '../../core/common/errors.js';
import type { Instance } from '../../core/instances/instance-model.js';
import type { ApiServices } from '../../http/deps.js';
import { presentedKey } from '../../http/auth.js';
import { failed, refuseIfBlocked } from '../kit/credentials.js';
import { wappfyError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key's principal on a Wappfy request. */
    wappfyPrincipal?: Principal;
  }
}

type AuthDeps = Pick<ApiServices, 'access' | 'limiter'>;

const instanceNotFound = (instanceId: string) => wappfyError(404, 'INSTANCE_NOT_FOUND', `Instance with ID ${instanceId.slice(0, 64)} not found`);

/** An onRequest hook checking the key, and that it may see the instance the path names. */
export function wappfyAuth(deps: AuthDeps) {
  return async (request: FastifyRequest) => {
    if (request.is404) return;
    refuseIfBlocked(deps, request, {
      blocked: (seconds) => wappfyError(429, 'RATE_LIMIT_EXCEEDED', 'too many failed authentications from this address; try again later', {}, { 'retry-after': String(seconds) }),
    });
    const key = presentedKey(request);
    if (!key) throw await failed(deps, request, wappfyError(401, 'UNAUTHORIZED', 'missing API key: send X-Api-Key: <key> or Authorization: Bearer <key>'));
    const principal = await deps.access.authenticate(key);
    if (!principal || principal.kind === 'instance') throw await failed(deps, request, wappfyError(401, 'UNAUTHORIZED', 'invalid API key'));
    request.wappfyPrincipal = principal;
    // An instance the key may not see is not found, before the body is even read: nothing to probe.
    const instanceId = (request.params as { instanceId?: string } | undefined)?.instanceId;
    if (instanceId !== undefined && !deps.access.canAccess(principal, instanceId)) throw instanceNotFound(instanceId);
    // Names the instance for the cluster: a request needing its session is answered by its node.
    if (instanceId !== undefined) request.instanceId = instanceId;
  };
}

/** The instance a path names, when the key may see it; 404 INSTANCE_NOT_FOUND otherwise (no probing). */
export async function wappfyInstance(deps: Pick<ApiServices, 'access' | 'instances'>, request: FastifyRequest, instanceId: string): Promise<Instance> {
  const principal = request.wappfyPrincipal;
  const refused = () => instanceNotFound(instanceId);
  if (!principal || !deps.access.canAccess(principal, instanceId)) throw refused();
  try {
    return await deps.instances.get(instanceId);
  } catch (err) {
    if (isDomainError(err) && err.code === 'instance_not_found') throw refused();
    throw err;
  }
}
