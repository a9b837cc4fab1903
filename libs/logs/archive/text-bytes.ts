/**
 * Texts as one UTF-8 buffer and each one's byte length, so a batch's texts go to PostgreSQL as one bytea
 * parameter cut by lengths. One encode of the joined texts when that equals the texts encoded one by one
 * (always, unless a text ends in a lone high surrogate and the next starts with a lone low one: joined they
 * would make one character), else one encode per text.
 */
export function textBytes(texts: readonly string[]): { bytes: Buffer; lengths: number[] } {
  const lengths = texts.map((text) => Buffer.byteLength(text, 'utf8'));
  const bytes = Buffer.from(texts.join(''), 'utf8');
  if (bytes.length === lengths.reduce((total, length) => total + length, 0)) return { bytes, lengths };
  const parts = texts.map((text) => Buffer.from(text, 'utf8'));
  return { bytes: Buffer.concat(parts), lengths: parts.map((part) => part.length) };
}
