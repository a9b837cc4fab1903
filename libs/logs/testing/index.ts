// The testing entry of libs/logs: a scripted log follow for tests. Production code never imports it.
export { FakeLogFollow, settle } from './fake-log-follow.js';
