/**
 * Credential checks every dialect shares: the per-address failure limit (shared with the native
 * API; it never refuses a valid credential), and "this path names an instance and carries that instance's token". Each dialect supplies
 * its provider's refusals; tokens are checked on their hash in constant time by the access service.
 */
import type { FastifyRequest } from 'fastify';
import { hashSecret } from '../../core/common/ids.js';
import type { Instance } from '../../core/instances/instance-model.js';
import type { ApiServices } from '../../http/deps.js';

/** The provider's answers to refused credentials. None may echo what the client sent. */
export interface CredentialRefusals {
  /** Too many failures from this address: wait `seconds`. */
  blocked(seconds: number): Error;
  unknownInstance(): Error;
  wrongToken(): Error;
}

type AuthDeps = Pick<ApiServices, 'access' | 'limiter'>;

const blockedRefusals = new WeakMap<FastifyRequest, CredentialRefusals['blocked']>();

/**
 * Names the provider's answer for an address over the failure limit. It refuses nothing by itself:
 * a valid credential is never blocked; only a refused one (`failed`) may be answered with it.
 */
export function refuseIfBlocked(_deps: AuthDeps, request: FastifyRequest, refusals: Pick<CredentialRefusals, 'blocked'>): void {
  blockedRefusals.set(request, refusals.blocked);
}

/** Counts a failed authentication from the request's address and answers the refusal to throw (the provider's 429 once over the limit). */
export async function failed({ limiter }: AuthDeps, request: FastifyRequest, refusal: Error): Promise<Error> {
  const wait = await limiter.fail(request.ip);
  const blocked = blockedRefusals.get(request);
  return wait > 0 && blocked ? blocked(wait) : refusal;
}

/**
 * The instance a path names, when the path's token is that instance's token (not an API key, not
 * another instance's token). Unknown instances and wrong tokens count as failures.
 */
export async function instanceFromPath(
  deps: AuthDeps,
  request: FastifyRequest,
  lookup: () => Promise<Instance | undefined>,
  token: string | undefined,
  refusals: CredentialRefusals,
): Promise<Instance> {
  refuseIfBlocked(deps, request, refusals);
  const instance = await lookup();
  if (!instance) throw await failed(deps, request, refusals.unknownInstance());
  const principal = token ? await deps.access.authenticate(token) : undefined;
  if (principal?.kind !== 'instance' || principal.instanceId !== instance.id) throw await failed(deps, request, refusals.wrongToken());
  request.credentialHash = hashSecret(token!);
  // Names the instance for the cluster: a request needing its session is answered by its node.
  request.instanceId = instance.id;
  return instance;
}
