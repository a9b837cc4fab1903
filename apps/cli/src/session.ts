import { createBerthClient, type BerthClient, type Schemas } from '../../../packages/client/src/index.js';
import { CliError, ExitCode, unwrap } from './cli-error.js';
import { readCredentials, writeCredentials, type StoredCredentials } from './credentials-store.js';

export const DEFAULT_API_URL = 'http://127.0.0.1:3000';
/** Refresh this long before the access token expires, so a request never leaves with a dying token. */
const REFRESH_MARGIN_MS = 60_000;

export interface GlobalOptions {
  api?: string;
  json?: boolean;
}

/** The API URL: --api, then $BERTH_API_URL, then the one logged in to, then the local default. */
export function apiUrlOf(options: GlobalOptions, stored?: StoredCredentials): string {
  return options.api ?? process.env.BERTH_API_URL ?? stored?.apiUrl ?? DEFAULT_API_URL;
}

export function anonymousClient(apiUrl: string): BerthClient {
  return createBerthClient({ baseUrl: apiUrl });
}

export function tokenPairCredentials(
  apiUrl: string,
  email: string,
  pair: Schemas['TokenPairView'],
): StoredCredentials {
  return {
    apiUrl,
    email,
    accessToken: pair.accessToken,
    accessTokenExpiresAt: Date.now() + pair.expiresIn * 1000,
    refreshToken: pair.refreshToken,
  };
}

/**
 * The logged-in caller: $BERTH_API_KEY, else the stored API key or token pair. A stored access token close to
 * expiry is refreshed (and the rotated pair stored) before the request that needs it.
 */
export class Session {
  private refreshing: Promise<string> | undefined;

  private constructor(
    readonly apiUrl: string,
    private credentials: StoredCredentials,
  ) {}

  static async open(options: GlobalOptions): Promise<Session> {
    const stored = await readCredentials();
    const apiUrl = apiUrlOf(options, stored);
    const envKey = process.env.BERTH_API_KEY;
    if (envKey) return new Session(apiUrl, { apiUrl, apiKey: envKey });
    if (!stored || (!stored.apiKey && !stored.refreshToken))
      throw new CliError('Not logged in: run `berth login` (or set BERTH_API_KEY)', ExitCode.auth);
    if (options.api && stored.apiUrl !== options.api)
      throw new CliError(
        `Logged in to ${stored.apiUrl}, not ${options.api}: run \`berth login --api ${options.api}\``,
        ExitCode.auth,
      );
    return new Session(apiUrl, stored);
  }

  get client(): BerthClient {
    return createBerthClient({ baseUrl: this.apiUrl, credentials: () => this.token() });
  }

  /** A bearer for this request: the API key, or a fresh access token. */
  async token(): Promise<string> {
    const { apiKey, accessToken, accessTokenExpiresAt } = this.credentials;
    if (apiKey) return apiKey;
    if (accessToken && (accessTokenExpiresAt ?? 0) - REFRESH_MARGIN_MS > Date.now()) return accessToken;
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refresh(): Promise<string> {
    const refreshToken = this.credentials.refreshToken;
    if (!refreshToken) throw new CliError('Not logged in: run `berth login`', ExitCode.auth);
    const result = await anonymousClient(this.apiUrl).POST('/v1/auth/refresh', { body: { refreshToken } });
    if (result.response.status === 401)
      throw new CliError('The login expired or was revoked: run `berth login` again', ExitCode.auth);
    const pair = unwrap(result);
    this.credentials = tokenPairCredentials(this.apiUrl, this.credentials.email ?? '', pair);
    await writeCredentials(this.credentials);
    return pair.accessToken;
  }
}
