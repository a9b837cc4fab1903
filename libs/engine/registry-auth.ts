/** What a registry token may grant on one repository (docker distribution's `access` claim actions). */
export type RegistryAction = 'pull' | 'push' | 'delete';

/** One repository's grant, named as the registry knows it ("prefix/berth-app-…", without its host). */
export interface RegistryAccess {
  repository: string;
  actions: RegistryAction[];
}

/**
 * Issues a bearer token the registry accepts for exactly `access`; undefined for an anonymous registry.
 * Engines are handed such a token for one push or pull (never a password), so a host can pull only the
 * images it was told to, and only for the token's lifetime.
 */
export type RegistryAuthorizer = (access: RegistryAccess[]) => string | undefined;

/** A registry images move through: its address ("host:port[/prefix]") and who signs its tokens. */
export interface RegistryTarget {
  address: string;
  authorize?: RegistryAuthorizer;
}

/**
 * What one engine push or pull carries: a registry token scoped to that image (what Berth hands its
 * engines), or an account of the token service, which the engine trades for tokens itself at the realm
 * the registry names (what an operator's tool would use).
 */
export type RegistryAuth = { registryToken: string } | { username: string; password: string };

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Whether `value` is a manifest digest ("sha256:" and 64 hex digits). */
export function isImageDigest(value: string): boolean {
  return DIGEST.test(value);
}

/** "host:5000/a/b:tag" or "host:5000/a/b@sha256:…" → "a/b": the repository's name inside its registry. */
export function repositoryInRegistry(remote: string): string {
  const withoutDigest = remote.split('@', 1)[0]!;
  const afterHost = withoutDigest.slice(withoutDigest.indexOf('/') + 1);
  const colon = afterHost.lastIndexOf(':');
  return colon > afterHost.lastIndexOf('/') ? afterHost.slice(0, colon) : afterHost;
}

/** The token for `actions` on the repository `remote` names, as an engine call's auth (none: anonymous). */
export function engineAuthFor(
  target: RegistryTarget,
  remote: string,
  actions: RegistryAction[],
): RegistryAuth | undefined {
  const registryToken = target.authorize?.([{ repository: repositoryInRegistry(remote), actions }]);
  return registryToken === undefined ? undefined : { registryToken };
}
