/**
 * 2Chat credentials: `X-User-API-Key` is a groupgate API key (admin or scoped); `from_number`
 * (E.164 with its `+`) picks which of the key's instances acts, by its phone.
 */
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../core/access/access-service.js';
import type { Instance } from '../../core/instances/instance-model.js';
import { normalizePhone } from '../../core/common/phone.js';
import type { ApiServices } from '../../http/deps.js';
import { failed, refuseIfBlocked } from '../kit/credentials.js';
import { DialectReplyError } from '../kit/reply-error.js';
import { unprocessable } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key's principal on a 2Chat request. */
    twoChatPrincipal?: Principal;
  }
}

/** E.164 as 2Chat requires it: a `+`, then 7..15 digits, the first not 0. */
export const E164_PATTERN = '^\\+[1-9][0-9]{6,14}$';
const E164 = new RegExp(E164_PATTERN);

/** Digits of a strict E.164 number, or undefined (the native API's looser forms are refused). */
export function strictE164(input: unknown): string | undefined {
  if (typeof input !== 'string' || !E164.test(input)) return undefined;
  return normalizePhone(input);
}

/** Digits of each number, or 422 naming every entry not written in E.164 with its `+`. */
export function strictNumbers(inputs: string[], loc: (string | number)[]): string[] {
  const bad = inputs.map((n, i) => ({ n, i })).filter(({ n }) => !strictE164(n));
  if (bad.length) {
    throw unprocessable(bad.map(({ i }) => ({ loc: [...loc, i], msg: 'value is not a valid phone number in E.164 format (+<country code><number>)', type: 'value_error.phone' })));
  }
  return inputs.map((n) => strictE164(n)!);
}

type AuthDeps = Pick<ApiServices, 'access' | 'limiter'>;

/** An onRequest hook checking `X-User-API-Key`. */
export function twoChatAuth(deps: AuthDeps) {
  return async (request: FastifyRequest) => {
    if (request.is404) return;
    refuseIfBlocked(deps, request, {
      blocked: (seconds) => new DialectReplyError(429, { detail: 'Too many failed authentications; try again later' }, { 'retry-after': String(seconds) }),
    });
    const header = request.headers['x-user-api-key'];
    const key = (Array.isArray(header) ? header[0] : header)?.trim();
    if (!key) throw await failed(deps, request, new DialectReplyError(403, { detail: 'Not authenticated' }));
    const principal = await deps.access.authenticate(key);
    // An API key (admin or scoped), not an instance token: 2Chat keys belong to an account.
    if (!principal || principal.kind === 'instance') throw await failed(deps, request, new DialectReplyError(401, { detail: 'Invalid API Key' }));
    request.twoChatPrincipal = principal;
  };
}

/** The instance whose phone is `fromNumber`, among those the key may see; 422 / 404 otherwise. */
export async function instanceByNumber(deps: Pick<ApiServices, 'access' | 'instances'>, request: FastifyRequest, fromNumber: unknown, loc: (string | number)[]): Promise<Instance> {
  const digits = strictE164(fromNumber);
  if (!digits) throw unprocessable([{ loc, msg: 'value is not a valid phone number in E.164 format (+<country code><number>)', type: 'value_error.phone' }]);
  const principal = request.twoChatPrincipal!;
  const instance = await deps.instances.findByPhone(digits);
  if (!instance || !deps.access.canAccess(principal, instance.id)) {
    throw new DialectReplyError(404, { success: false, message: `the number +${digits} is not connected to this account` });
  }
  return instance;
}

/**
 * A preValidation hook naming the instance of a request for the cluster (`request.instanceId`): the
 * number in the path or the body (`from_number`, `on_number`), once the key is known. Refusals are
 * left to the route; a request needing the session is then answered by the instance's node.
 */
export function twoChatInstanceHint(deps: Pick<ApiServices, 'access' | 'instances'>) {
  return async (request: FastifyRequest) => {
    const principal = request.twoChatPrincipal;
    if (!principal) return;
    const params = (request.params ?? {}) as Record<string, unknown>;
    const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>;
    const digits = strictE164(params.from_number ?? body.from_number ?? body.on_number);
    if (!digits) return;
    const instance = await deps.instances.findByPhone(digits);
    if (instance && deps.access.canAccess(principal, instance.id)) request.instanceId = instance.id;
  };
}
