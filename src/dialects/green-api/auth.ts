/**
 * Green API's credentials: the idInstance and the apiTokenInstance in the path. An unknown idInstance
 * answers 403, a token that is not this instance's 401 (checked on its hash in constant time by the
 * access service). Failures count towards the per-address limit shared with the native API.
 */
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../core/common/errors.js';
import type { Instance } from '../../core/instances/instance-model.js';
import type { HttpDeps } from '../../http/deps.js';

const resolved = new WeakMap<FastifyRequest, Instance>();

/** An onRequest hook that resolves the instance from the path, or refuses. */
export function greenAuth({ core, limiter }: HttpDeps) {
  return async (request: FastifyRequest) => {
    if ((request.routeOptions.config as { greenAuth?: boolean }).greenAuth === false) return;
    const wait = limiter.blockedFor(request.ip);
    if (wait > 0) throw new DomainError('too_many_auth_failures', 'too many failed authentications', undefined, wait);
    const { idInstance, token } = request.params as { idInstance?: string; token?: string };
    const instance = idInstance && /^\d{1,20}$/.test(idInstance) ? await core.store.instances.getByIdInstance(idInstance) : undefined;
    if (!instance) {
      limiter.fail(request.ip);
      throw new DomainError('forbidden', 'unknown idInstance');
    }
    const principal = token ? await core.access.authenticate(token) : undefined;
    if (principal?.kind !== 'instance' || principal.instanceId !== instance.id) {
      limiter.fail(request.ip);
      throw new DomainError('unauthorized', 'wrong apiTokenInstance');
    }
    resolved.set(request, instance);
  };
}

/** The instance the request authenticated as (as it was when the request arrived). */
export function instanceOf(request: FastifyRequest): Instance {
  const instance = resolved.get(request);
  if (!instance) throw new DomainError('unauthorized', 'not authenticated');
  return instance;
}
