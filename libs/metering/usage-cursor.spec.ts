import { describe, expect, it } from '@jest/globals';
import { ProblemError } from '../errors/index.js';
import { decodeCursor, encodeCursor } from './usage.service.js';

describe('usage cursors', () => {
  it('round-trips record ids, up to the largest bigint', () => {
    for (const id of ['1', '42', '1234567890', '9223372036854775807']) {
      expect(decodeCursor(encodeCursor(id))).toBe(id);
    }
    expect(decodeCursor(undefined)).toBe('0');
  });

  it.each([
    ['not base64url', '!!!'],
    ['not a number', Buffer.from('abc').toString('base64url')],
    ['negative', Buffer.from('-1').toString('base64url')],
    ['leading zero', Buffer.from('007').toString('base64url')],
    ['beyond bigint', Buffer.from('9223372036854775808').toString('base64url')],
    ['padded (not how we write it)', 'MTIzNA='],
    ['empty', ''],
  ])('refuses a cursor that is %s with 400 invalid_cursor', (_name, cursor) => {
    try {
      decodeCursor(cursor);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(ProblemError);
      expect(err).toMatchObject({ status: 400, code: 'invalid_cursor' });
    }
  });
});
