import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { RegistryAccess, RegistryAction } from '../engine/index.js';

/** The two accounts of the token service (BerthKeys.registryCredentials holds their passwords). */
export type RegistryCredentialKind = 'pull' | 'push';

/**
 * What each account may ever be granted. The pull account never pushes; neither account deletes: only
 * the control plane does, with tokens it signs itself (RegistryTokenSigner.sign).
 */
const ALLOWED_ACTIONS: Record<RegistryCredentialKind, readonly RegistryAction[]> = {
  pull: ['pull'],
  push: ['pull', 'push'],
};

/** distribution's repository name grammar (reference.NameRegexp without a host part). */
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const KNOWN_ACTIONS = new Set<string>(['pull', 'push', 'delete', '*']);

export class RegistryScopeError extends Error {}

/**
 * One `scope` parameter of a token request ("repository:<name>:<action>[,<action>]", the form docker
 * clients send) as the access it asks for. Other resource types ("registry:catalog:*") are never granted:
 * undefined. A malformed scope, or a repository name the registry would refuse, throws RegistryScopeError.
 */
export function parseScope(scope: string): RegistryAccess | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) throw new RegistryScopeError(`scope "${scope}" is not type:name:actions`);
  const type = scope.slice(0, first);
  const name = scope.slice(first + 1, last);
  const actions = scope.slice(last + 1).split(',');
  if (type !== 'repository') return undefined;
  if (name.length > 255 || !REPOSITORY.test(name)) {
    throw new RegistryScopeError(`scope "${scope}" does not name a repository`);
  }
  if (actions.some((action) => !KNOWN_ACTIONS.has(action))) {
    throw new RegistryScopeError(`scope "${scope}" asks for an unknown action`);
  }
  // "*" asks for everything; what it yields is still cut down to the account's own actions below.
  const asked = actions.includes('*') ? (['pull', 'push', 'delete'] as const) : actions;
  return { repository: name, actions: [...new Set(asked as RegistryAction[])] };
}

/**
 * What a token for `kind` grants of `requested`: per repository, the requested actions the account may
 * have (docker's token protocol answers with the allowed subset, never an error for the rest). A
 * repository left with no action is left out; one asked for twice is granted once.
 */
export function grantedAccess(kind: RegistryCredentialKind, requested: RegistryAccess[]): RegistryAccess[] {
  const allowed = ALLOWED_ACTIONS[kind];
  const byRepository = new Map<string, Set<RegistryAction>>();
  for (const { repository, actions } of requested) {
    const granted = byRepository.get(repository) ?? new Set<RegistryAction>();
    for (const action of actions) if (allowed.includes(action)) granted.add(action);
    byRepository.set(repository, granted);
  }
  return [...byRepository]
    .filter(([, actions]) => actions.size > 0)
    .map(([repository, actions]) => ({ repository, actions: allowed.filter((a) => actions.has(a)) }));
}

/** The claims of a registry token, as docker distribution's token auth checks them. */
export function registryTokenClaims(options: {
  issuer: string;
  service: string;
  subject: string;
  access: RegistryAccess[];
  issuedAt: number;
  ttlSeconds: number;
}): Record<string, unknown> {
  return {
    iss: options.issuer,
    sub: options.subject,
    aud: options.service,
    iat: options.issuedAt,
    nbf: options.issuedAt,
    exp: options.issuedAt + options.ttlSeconds,
    jti: crypto.randomUUID(),
    access: options.access.map(({ repository, actions }) => ({
      type: 'repository',
      name: repository,
      actions,
    })),
  };
}

/**
 * The key id libtrust (used by docker distribution) gives a public key: SHA-256 of its DER
 * SubjectPublicKeyInfo, first 240 bits, base32 without padding, in colon-separated groups of four. The
 * registry looks a token's `kid` up among the keys of its rootcertbundle's certificates.
 */
export function libtrustKeyId(publicKey: crypto.KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const encoded = base32(crypto.createHash('sha256').update(der).digest().subarray(0, 30));
  return encoded.match(/.{4}/g)!.join(':');
}

function base32(bytes: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  let value = 0;
  let bits = 0;
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** Signs registry tokens with the key whose certificate the registry trusts (ES256 for P-256, RS256 for RSA). */
export class RegistryTokenSigner {
  private readonly algorithm: jwt.Algorithm;
  private readonly keyId: string;

  constructor(
    private readonly privateKey: crypto.KeyObject,
    private readonly names: { issuer: string; service: string },
  ) {
    if (privateKey.type !== 'private') throw new Error('the registry token key must be a private key');
    const { asymmetricKeyType, asymmetricKeyDetails } = privateKey;
    if (asymmetricKeyType === 'ec' && asymmetricKeyDetails?.namedCurve === 'prime256v1')
      this.algorithm = 'ES256';
    else if (asymmetricKeyType === 'rsa' && (asymmetricKeyDetails?.modulusLength ?? 0) >= 2048)
      this.algorithm = 'RS256';
    else
      throw new Error('the registry token key must be an EC P-256 key or an RSA key of at least 2048 bits');
    this.keyId = libtrustKeyId(crypto.createPublicKey(privateKey));
  }

  /** From a PEM file; says which file when it cannot be read or is not a usable key. */
  static fromPemFile(
    readPem: () => string | Buffer,
    file: string,
    names: { issuer: string; service: string },
  ): RegistryTokenSigner {
    try {
      return new RegistryTokenSigner(crypto.createPrivateKey(readPem()), names);
    } catch (error) {
      throw new Error(`BERTH_REGISTRY_TOKEN_KEY ${file}: ${(error as Error).message}`, { cause: error });
    }
  }

  get service(): string {
    return this.names.service;
  }

  sign(options: { subject: string; access: RegistryAccess[]; ttlSeconds: number; now?: Date }): string {
    const issuedAt = Math.floor((options.now ?? new Date()).getTime() / 1000);
    const claims = registryTokenClaims({ ...this.names, ...options, issuedAt });
    return jwt.sign(claims, this.privateKey, { algorithm: this.algorithm, keyid: this.keyId });
  }
}
