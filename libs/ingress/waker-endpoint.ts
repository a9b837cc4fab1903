import { Injectable } from '@nestjs/common';
import type { RouterServer } from './router-config.js';

/**
 * Where this process's waker listens, once it does: the routers' server for apps that sleep or are
 * waking. Held apart from AppWaker (which reads routes from EdgeRouter) so EdgeRouter can render it
 * without the two depending on each other.
 */
@Injectable()
export class WakerEndpoint {
  server: RouterServer | undefined;
}
