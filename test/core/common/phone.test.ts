/**
 * Phone numbers as people write them: accepted in every usual form, refused when not a number.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../../../src/core/common/errors.js';
import { normalizePeople, normalizePhone, phoneCountry } from '../../../src/core/common/phone.js';

describe('normalizePhone', () => {
  it('accepts the forms people write, with their country code', () => {
    const cases: [string, string][] = [
      ['+55 11 98888-1234', '5511988881234'],
      ['+1-415-555-0101', '14155550101'],
      ['+1 (415) 555-0101', '14155550101'],
      ['+44.20.7946.0958', '442079460958'],
      ['0044 20 7946 0958', '442079460958'],
      ['00551198888 1234', '5511988881234'],
      ['55 11 98888-1234', '5511988881234'],
      ['5511988881234', '5511988881234'],
      ['+5511988881234', '5511988881234'],
      ['  +55\u00a011\u00a098888-1234 ', '5511988881234'],
      ['5511988881234@s.whatsapp.net', '5511988881234'],
      ['5511988881234@c.us', '5511988881234'],
      ['+15550100001', '15550100001'],
    ];
    for (const [input, digits] of cases) assert.equal(normalizePhone(input), digits, input);
  });

  it('reads a national number in the default country, and refuses it without one', () => {
    assert.equal(normalizePhone('(11) 91111-0004'), undefined);
    assert.equal(normalizePhone('(11) 91111-0004', { defaultCountry: 'BR' }), '5511911110004');
    assert.equal(normalizePhone('011 91111-0004', { defaultCountry: 'BR' }), '5511911110004');
    assert.equal(normalizePhone('(415) 555-0101', { defaultCountry: 'US' }), '14155550101');
    // An international number stays international whatever the default country.
    assert.equal(normalizePhone('+44 20 7946 0958', { defaultCountry: 'BR' }), '442079460958');
    assert.equal(normalizePhone('1 (415) 555-0101', { defaultCountry: 'BR' }), '14155550101');
  });

  it('refuses what is not a number', () => {
    for (const input of [
      'not-a-number',
      '',
      '   ',
      '12345',
      '+1 555 0100',
      'abc5511988881234',
      '+55 11 98888-1234 ext 5',
      '++5511988881234',
      '5511988881234@g.us',
      '1'.repeat(30),
      '(11) 9111',
    ]) {
      assert.equal(normalizePhone(input), undefined, input);
    }
    assert.equal(normalizePhone(5511988881234), undefined);
  });

  it('phoneCountry names the country of a number', () => {
    assert.equal(phoneCountry('5511988881234'), 'BR');
    assert.equal(phoneCountry('+14155550101'), 'US');
    assert.equal(phoneCountry(null), undefined);
  });
});

describe('normalizePeople', () => {
  it('normalises formatted numbers to one jid each and drops duplicates written differently', () => {
    const refs = normalizePeople(['+55 11 98888-1234', '0055 (11) 98888-1234', '5511988881234@c.us', '+1-415-555-0101']);
    assert.deepEqual(
      refs.map((r) => r.jid),
      ['5511988881234@s.whatsapp.net', '14155550101@s.whatsapp.net'],
    );
  });

  it('names every refused entry and says how to write a number', () => {
    assert.throws(
      () => normalizePeople(['+55 11 98888-1234', 'not-a-number', '(11) 91111-0004']),
      (err: unknown) => {
        assert.ok(err instanceof DomainError);
        assert.equal(err.code, 'invalid_participant');
        assert.deepEqual((err.details as { invalid: unknown[] }).invalid, ['not-a-number', '(11) 91111-0004']);
        assert.match(err.message, /"not-a-number", "\(11\) 91111-0004"; write each number with its country code/);
        return true;
      },
    );
  });
});
