/**
 * The compact form of a log cursor (version 2): a line's position packed in 39 bytes for the usual case (52
 * characters of base64url, where the JSON form of version 1 takes about 128). Every live line carries its
 * cursor, so this is a third less on the wire per line. Layout: version (1 byte), seconds since the epoch
 * (5), nanoseconds (4), ordinal (4), ring seq (8, 0 for none), replica kind (1), replica: 16 bytes when it
 * is a lowercase UUID (kind 1), else its UTF-8 (kind 0). A position before 1970 or with an ordinal past
 * 2^32 does not fit: cursorOf then gives version 1, which stays valid.
 */
export const COMPACT_CURSOR_VERSION = 2;

export interface PackedPosition {
  /** Canonical (UTC, nine fraction digits) when packed; unpacked, to be checked by the caller. */
  timestamp: string;
  replica: string;
  ordinal: number;
  seq: number | null;
}

const FIXED_BYTES = 23;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TWO_32 = 2 ** 32;

// A live stream encodes many lines of one second and one replica in a row: both are kept from the last call.
let lastSecond = '';
let lastSeconds = 0;
let lastReplica: string | undefined;
let lastReplicaBytes = Buffer.alloc(0);
let lastReplicaKind = 0;

/** The compact payload of a position whose timestamp is canonical; undefined when it does not fit. */
export function packPosition({ timestamp, replica, ordinal, seq }: PackedPosition): Buffer | undefined {
  const second = timestamp.slice(0, 19);
  if (second !== lastSecond) {
    lastSeconds = Date.parse(`${second}Z`) / 1000;
    lastSecond = second;
  }
  const seconds = lastSeconds;
  if (!(seconds >= 0) || !(ordinal < TWO_32)) return undefined;
  if (replica !== lastReplica) {
    lastReplicaKind = UUID.test(replica) ? 1 : 0;
    lastReplicaBytes =
      lastReplicaKind === 1 ? Buffer.from(replica.replaceAll('-', ''), 'hex') : Buffer.from(replica, 'utf8');
    lastReplica = replica;
  }
  const bytes = Buffer.allocUnsafe(FIXED_BYTES + lastReplicaBytes.length);
  bytes[0] = COMPACT_CURSOR_VERSION;
  bytes.writeUIntBE(seconds, 1, 5);
  bytes.writeUInt32BE(Number(timestamp.slice(20, 29)), 6);
  bytes.writeUInt32BE(ordinal, 10);
  const position = seq ?? 0;
  bytes.writeUInt32BE(Math.floor(position / TWO_32), 14);
  bytes.writeUInt32BE(position % TWO_32, 18);
  bytes[22] = lastReplicaKind;
  lastReplicaBytes.copy(bytes, FIXED_BYTES);
  return bytes;
}

/** The position in a compact payload, or undefined when the bytes are not one packPosition could give. */
export function unpackPosition(bytes: Buffer): PackedPosition | undefined {
  if (bytes.length < FIXED_BYTES || bytes[0] !== COMPACT_CURSOR_VERSION) return undefined;
  const seconds = bytes.readUIntBE(1, 5);
  const nanos = bytes.readUInt32BE(6);
  if (nanos >= 1_000_000_000) return undefined;
  const seq = bytes.readUInt32BE(14) * TWO_32 + bytes.readUInt32BE(18);
  if (!Number.isSafeInteger(seq)) return undefined;
  const kind = bytes[22];
  const rest = bytes.subarray(FIXED_BYTES);
  let replica: string;
  if (kind === 1) {
    if (rest.length !== 16) return undefined;
    const hex = rest.toString('hex');
    replica = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  } else if (kind === 0) {
    replica = rest.toString('utf8');
    if (!Buffer.from(replica, 'utf8').equals(rest) || UUID.test(replica)) return undefined; // one form each
  } else {
    return undefined;
  }
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) return undefined;
  const timestamp = `${date.toISOString().slice(0, 19)}.${String(nanos).padStart(9, '0')}Z`;
  return { timestamp, replica, ordinal: bytes.readUInt32BE(10), seq: seq === 0 ? null : seq };
}
