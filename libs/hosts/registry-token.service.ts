import crypto from 'node:crypto';
import fs from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { BERTH_CONFIG, BERTH_KEYS, type BerthConfig, type BerthKeys } from '../config/index.js';
import type { RegistryAccess, RegistryAuthorizer } from '../engine/index.js';
import { ProblemError, problems } from '../errors/index.js';
import {
  grantedAccess,
  parseScope,
  type RegistryCredentialKind,
  RegistryScopeError,
  RegistryTokenSigner,
} from './registry-tokens.js';

/**
 * Lifetime of the tokens engines get for one push or pull. An engine does not come back for a new one,
 * and the registry checks the token on every request of the transfer, so it covers a slow push of a large
 * image; a transfer that outlives it fails and the next placement or build retries with a fresh token.
 */
const ENGINE_TOKEN_TTL_SECONDS = 900;
/** Lifetime of the tokens the token route hands out; docker clients ask again when one expires. */
const CLIENT_TOKEN_TTL_SECONDS = 300;
const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="berth-registry", charset="UTF-8"' };

/** What GET /v1/registry/token answers (docker's token protocol; `access_token` is the OAuth2 name). */
export interface RegistryTokenGrant {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
}

/**
 * Berth as the registry's token service. The control plane signs its own tokens (`authorize`): engines get
 * one per push or pull, scoped to that repository, so no password ever reaches a host. The token route
 * (`issue`) serves everyone else: Basic auth with the pull or the push account, scopes cut down to what the
 * account may do.
 */
@Injectable()
export class RegistryTokenService {
  private readonly signer: RegistryTokenSigner | undefined;

  constructor(
    @Inject(BERTH_CONFIG) config: BerthConfig,
    @Inject(BERTH_KEYS) private readonly keys: BerthKeys,
  ) {
    const token = config.registry?.token;
    this.signer = token
      ? RegistryTokenSigner.fromPemFile(() => fs.readFileSync(token.keyFile), token.keyFile, token)
      : undefined;
  }

  /** Whether the registry has token auth (else it is anonymous and `authorize` signs nothing). */
  get enabled(): boolean {
    return this.signer !== undefined;
  }

  /** Signs the control plane's own tokens: engines' pushes and pulls, the registry API's deletes. */
  readonly authorize: RegistryAuthorizer = (access: RegistryAccess[]) =>
    this.signer?.sign({ subject: 'berth-control-plane', access, ttlSeconds: ENGINE_TOKEN_TTL_SECONDS });

  /**
   * A token for a client of the token route. 401 (with a Basic challenge) without valid credentials of
   * one of the two accounts; 400 for another service or a malformed scope; 404 when the registry has no
   * token auth. Scopes the account may not have are left out of the token, as docker's protocol says.
   */
  issue(request: {
    authorization: string | undefined;
    service: string;
    scopes: string[];
  }): RegistryTokenGrant {
    if (!this.signer) {
      throw new ProblemError(
        404,
        'registry_token_auth_off',
        'Not found',
        'This installation has no registry with token auth (BERTH_REGISTRY_TOKEN_KEY)',
      );
    }
    const kind = this.accountOf(request.authorization);
    if (request.service !== this.signer.service) {
      throw problems.badRequest(
        'registry_service_unknown',
        `This token service signs for "${this.signer.service}" only`,
      );
    }
    let requested: RegistryAccess[];
    try {
      requested = request.scopes.map(parseScope).filter((access) => access !== undefined);
    } catch (error) {
      if (error instanceof RegistryScopeError)
        throw problems.badRequest('registry_scope_invalid', error.message);
      throw error;
    }
    const issuedAt = new Date();
    const token = this.signer.sign({
      subject: `berth-${kind}`,
      access: grantedAccess(kind, requested),
      ttlSeconds: CLIENT_TOKEN_TTL_SECONDS,
      now: issuedAt,
    });
    return {
      token,
      access_token: token,
      expires_in: CLIENT_TOKEN_TTL_SECONDS,
      issued_at: issuedAt.toISOString(),
    };
  }

  /** Which account a Basic header's credentials belong to; 401 for anything else. */
  private accountOf(authorization: string | undefined): RegistryCredentialKind {
    const unauthorized = new ProblemError(
      401,
      'unauthorized',
      'Unauthorized',
      'The registry token service needs the credentials of its pull or push account (Basic auth)',
      {},
      BASIC_CHALLENGE,
    );
    const match = /^Basic ([A-Za-z0-9+/=]{1,1024})$/.exec(authorization ?? '');
    if (!match) throw unauthorized;
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw unauthorized;
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    for (const kind of ['pull', 'push'] as const) {
      const account = this.keys.registryCredentials[kind];
      // Both checks always run and compare hashes, so timing says nothing about either secret.
      const sameUser = username === account.username;
      const samePassword = crypto.timingSafeEqual(digest(password), digest(account.password));
      if (sameUser && samePassword) return kind;
    }
    throw unauthorized;
  }
}

function digest(value: string): Buffer {
  return crypto.createHash('sha256').update(value).digest();
}
