/**
 * People in, engine answers matched back: the one normaliser for the participants of any request
 * (group creation, adds, removals, promotions, join requests), and the engine-result lookup.
 */
import type { ParticipantResult } from '../ports/engine.js';
import { DomainError } from '../common/errors.js';
import type { Instance } from '../instances/instance-model.js';
import { normalizePeople, phoneCountry, type PersonRef } from '../common/phone.js';

/**
 * Normalises the people of a request: `invalid_participant` for unusable entries or the instance's
 * own number, `validation_failed` for an empty list. A number written without its country code is
 * read in the country of the instance's own number, as a phone would.
 */
export function participantRefs(instance: Instance, inputs: unknown[]): PersonRef[] {
  const refs = normalizePeople(inputs, instancePhoneOptions(instance));
  const own = refs.filter((r) => instance.phone && r.phone === instance.phone);
  if (own.length) throw new DomainError('invalid_participant', "the instance's own number cannot be a participant", { invalid: own.map((r) => r.input) });
  if (refs.length === 0) throw new DomainError('validation_failed', 'participants must list at least one person');
  return refs;
}

/** Phone parsing options of an instance: its own number's country for national numbers. */
export const instancePhoneOptions = (instance: Pick<Instance, 'phone'>) => ({ defaultCountry: phoneCountry(instance.phone) });

/** The engine's answer about one requested person, whichever of its ids the engine used. */
export const resultFor = (ref: PersonRef, results: ParticipantResult[]): ParticipantResult | undefined =>
  results.find((r) => r.jid === ref.jid || r.phoneJid === ref.jid || r.lid === ref.jid);
