import { registryRef, splitReference } from './image-transfer.js';
import type { RegistryAction, RegistryAuthorizer } from './registry-auth.js';

/** Where a registry is: what engines are told ("host:port[/prefix]") and where its HTTP API answers. */
export interface RegistryEndpoint {
  address: string;
  apiBase: string;
}

/** `kept`: the tag's manifest is one the caller keeps (another tag of the same content is still used). */
export type RegistryDeletion = 'deleted' | 'absent' | 'not-allowed' | 'kept';

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

/**
 * The registry's HTTP API (distribution v2), for what engines cannot do: deleting an image. Deleting
 * removes the tag's manifest; the layers are freed by the registry's own garbage collection
 * (`docker-registry garbage-collect`), as with every distribution registry.
 */
export class RegistryClient {
  constructor(
    private readonly settings: RegistryEndpoint,
    /** Signs the bearer token of each call (scoped to its repository); none: the registry is anonymous. */
    private readonly authorize?: RegistryAuthorizer,
    private readonly timeoutMs = 10_000,
  ) {}

  /**
   * Deletes the manifest `ref` has in the registry, by its digest. 'not-allowed' when the registry has
   * deletes off. A digest in `keepDigests` is left alone ('kept'): deleting a manifest deletes it under
   * every tag, and a release may run the same content under another name.
   */
  async deleteImage(
    ref: string,
    options: { keepDigests?: ReadonlySet<string> } = {},
  ): Promise<RegistryDeletion> {
    const manifest = await this.manifestOf(ref, ['pull', 'delete']);
    if (!manifest) return 'absent';
    if (options.keepDigests?.has(manifest.digest)) return 'kept';
    const deletion = await this.call(`${manifest.url}${manifest.digest}`, {
      method: 'DELETE',
      headers: manifest.authorization,
    });
    await deletion.body?.cancel();
    if (deletion.status === 404) return 'absent';
    // distribution answers 405 (UNSUPPORTED) when storage.delete.enabled is off.
    if (deletion.status === 405) return 'not-allowed';
    if (!deletion.ok) throw new Error(`registry answered ${deletion.status} to DELETE ${manifest.name}`);
    return 'deleted';
  }

  /** Resolves when the registry's API answers (401 counts: it is there, and wants credentials). */
  async ping(): Promise<void> {
    const res = await this.call(`${this.settings.apiBase}/v2/`, { method: 'GET' });
    await res.body?.cancel();
    if (!res.ok && res.status !== 401) throw new Error(`registry answered ${res.status} to GET /v2/`);
  }

  /** Whether the registry holds `ref` (its manifest answers). */
  async hasImage(ref: string): Promise<boolean> {
    return (await this.manifestOf(ref, ['pull'])) !== undefined;
  }

  /** The digest of the manifest tag `ref` points at now; undefined when the registry does not have it. */
  async digestOf(ref: string): Promise<string | undefined> {
    return (await this.manifestOf(ref, ['pull']))?.digest;
  }

  /** The digest of `ref`'s manifest (HEAD), undefined when the registry does not have it. */
  private async manifestOf(
    ref: string,
    actions: RegistryAction[],
  ): Promise<
    { url: string; name: string; digest: string; authorization: Record<string, string> } | undefined
  > {
    const { repository, tag } = splitReference(this.repositoryPath(ref));
    const url = `${this.settings.apiBase}/v2/${repository}/manifests/`;
    const name = `${repository}:${tag}`;
    const token = this.authorize?.([{ repository, actions }]);
    const authorization: Record<string, string> =
      token === undefined ? {} : { Authorization: `Bearer ${token}` };
    const head = await this.call(`${url}${encodeURIComponent(tag)}`, {
      method: 'HEAD',
      headers: { Accept: MANIFEST_TYPES, ...authorization },
    });
    if (head.status === 404) return undefined;
    if (!head.ok) throw new Error(`registry answered ${head.status} to HEAD ${name}`);
    const digest = head.headers.get('docker-content-digest');
    if (!digest) throw new Error(`registry gave no digest for ${name}`);
    return { url, name, digest, authorization };
  }

  /** "prefix/name:tag": the image's name inside the registry, without the registry's host. */
  private repositoryPath(ref: string): string {
    const remote = registryRef(this.settings.address, ref);
    return remote.slice(remote.indexOf('/') + 1);
  }

  private async call(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new Error(`registry ${this.settings.apiBase} did not answer: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}
