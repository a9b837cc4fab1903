import { type LogPosition, compareLogPositions } from '../log-entry.js';

/** What the archiver knows of one replica. */
export interface ReplicaTrack {
  appId: string;
  /** Every line of the replica up to its watermark is stored: batches may move the watermark. */
  synced: boolean;
  catchingUp: boolean;
  /** Listed by a pass or heard from the hub in this session (not only a watermark loaded from the store). */
  seen: boolean;
  /** The newest position of this replica this process wrote to the store. */
  storedMax: LogPosition | undefined;
  /** Its watermark as last read or written (lines at or before it are not queued again). */
  watermark: LogPosition | undefined;
}

/** The archiver's per-replica state, by replica id. */
export class ReplicaTracks {
  private readonly tracks = new Map<string, ReplicaTrack>();

  get(replica: string): ReplicaTrack | undefined {
    return this.tracks.get(replica);
  }

  of(replica: string, appId: string): ReplicaTrack {
    let track = this.tracks.get(replica);
    if (!track) {
      track = {
        appId,
        synced: false,
        catchingUp: false,
        seen: false,
        storedMax: undefined,
        watermark: undefined,
      };
      this.tracks.set(replica, track);
    }
    return track;
  }

  entries(): IterableIterator<[string, ReplicaTrack]> {
    return this.tracks.entries();
  }

  /** Lines of the app were lost on the live path: its replicas must be caught up again. */
  unsyncApp(appId: string): void {
    for (const track of this.tracks.values()) if (track.appId === appId) track.synced = false;
  }

  forgetApp(appId: string): void {
    for (const [replica, track] of this.tracks) if (track.appId === appId) this.tracks.delete(replica);
  }

  /** Moves the watermark forward (never back). */
  raiseWatermark(replica: string, appId: string, position: LogPosition): void {
    const track = this.of(replica, appId);
    if (!track.watermark || compareLogPositions(position, track.watermark) > 0) {
      track.watermark = { timestamp: position.timestamp, replica, ordinal: position.ordinal };
    }
  }

  raiseStored(replica: string, position: LogPosition): void {
    const track = this.tracks.get(replica);
    if (track && (!track.storedMax || compareLogPositions(position, track.storedMax) > 0)) {
      track.storedMax = position;
    }
  }
}
