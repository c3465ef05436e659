/**
 * Green API's credentials: the idInstance and the apiTokenInstance in the path. An unknown idInstance
 * answers 403, a token that is not this instance's 401. Failures count towards the per-address
 * limit shared with the native API.
 */
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../core/common/errors.js';
import type { Instance } from '../../core/instances/instance-model.js';
import type { ApiServices } from '../../http/deps.js';
import { instanceFromPath, type CredentialRefusals } from '../kit/credentials.js';

const resolved = new WeakMap<FastifyRequest, Instance>();

const REFUSALS: CredentialRefusals = {
  blocked: (seconds) => new DomainError('too_many_auth_failures', 'too many failed authentications', undefined, seconds),
  unknownInstance: () => new DomainError('forbidden', 'unknown idInstance'),
  wrongToken: () => new DomainError('unauthorized', 'wrong apiTokenInstance'),
};

/** An onRequest hook that resolves the instance from the path, or refuses. */
export function greenAuth(deps: Pick<ApiServices, 'access' | 'instances' | 'limiter'>) {
  return async (request: FastifyRequest) => {
    if ((request.routeOptions.config as { greenAuth?: boolean }).greenAuth === false) return;
    const { idInstance, token } = request.params as { idInstance?: string; token?: string };
    const instance = await instanceFromPath(deps, request, async () => (idInstance ? deps.instances.findByIdInstance(idInstance) : undefined), token, REFUSALS);
    resolved.set(request, instance);
  };
}

/** The instance the request authenticated as (as it was when the request arrived). */
export function instanceOf(request: FastifyRequest): Instance {
  const instance = resolved.get(request);
  if (!instance) throw new DomainError('unauthorized', 'not authenticated');
  return instance;
}
