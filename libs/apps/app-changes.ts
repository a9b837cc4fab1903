import { EventEmitter } from 'node:events';
import { Injectable } from '@nestjs/common';

/**
 * In-process signal that an app's desired state changed, so the reconciler (which depends on the apps
 * domain, not the other way round) runs at once instead of at its next interval.
 */
@Injectable()
export class AppChanges {
  private readonly emitter = new EventEmitter();

  notify(appId: string): void {
    this.emitter.emit('changed', appId);
  }

  onChange(listener: (appId: string) => void): () => void {
    this.emitter.on('changed', listener);
    return () => this.emitter.off('changed', listener);
  }
}
