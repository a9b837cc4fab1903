import type { App, AppsRepository, Release, ReleasesService } from '../apps/index.js';
import type { Replica } from './replica.entity.js';
import type { ReplicasRepository } from './replicas.repository.js';

/** What a pass reads of one app before it acts: its row, its current release, its live replicas. */
export interface AppPassState {
  app: App | null;
  release: Release | null;
  /** Web replicas other than gone. */
  replicas: Replica[];
  /** Load-balancer replicas other than gone, oldest first. */
  balancers: Replica[];
}

/**
 * The database side of a pass read in three queries however many apps it covers (apps, live replicas of
 * both roles, current releases), instead of four per app: a full resync of 1,000 apps would otherwise
 * send several thousand statements before acting on any. `appIds` undefined: every app, and every app
 * that still has live replicas without an app row.
 */
export async function loadPassState(
  sources: { apps: AppsRepository; replicas: ReplicasRepository; releases: ReleasesService },
  appIds?: readonly string[],
): Promise<{ appIds: string[]; forApp: (appId: string) => AppPassState }> {
  const apps = appIds ? await sources.apps.byIds([...appIds]) : await sources.apps.all();
  const replicas = appIds ? await sources.replicas.liveOfApps([...appIds]) : await sources.replicas.allLive();
  const releaseIds = apps.map((a) => a.currentReleaseId).filter((id): id is string => id !== null);
  const releases = releaseIds.length > 0 ? await sources.releases.byIds(releaseIds) : [];

  const appById = new Map(apps.map((a) => [a.id, a]));
  const releaseById = new Map(releases.map((r) => [r.id, r]));
  const replicasByApp = new Map<string, Replica[]>();
  for (const replica of replicas) {
    const list = replicasByApp.get(replica.appId) ?? [];
    list.push(replica);
    replicasByApp.set(replica.appId, list);
  }
  const ids = appIds ? [...appIds] : [...new Set([...appById.keys(), ...replicasByApp.keys()])];
  return {
    appIds: ids,
    forApp: (appId) => {
      const app = appById.get(appId) ?? null;
      const live = replicasByApp.get(appId) ?? [];
      return {
        app,
        release: app?.currentReleaseId ? (releaseById.get(app.currentReleaseId) ?? null) : null,
        replicas: live.filter((r) => r.role === 'web'),
        balancers: live.filter((r) => r.role === 'lb'),
      };
    },
  };
}
