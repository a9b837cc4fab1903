// Prints the password of one account of the registry's token service (GET /v1/registry/token), for an
// operator's `docker login` or a tool that pulls from the registry:
//   node dist/scripts/registry-credentials.js pull | docker login -u berth-pull --password-stdin REGISTRY
// The passwords are derived from the master key (BERTH_MASTER_KEY or $BERTH_DATA_DIR/master.key): every
// process of the installation agrees on them, nothing is stored, and a new master key changes them.
import { loadConfig, registryCredentials } from '../libs/config/index.js';
import { loadMasterKey } from '../libs/crypto/index.js';

const kind = process.argv[2];
if (kind !== 'pull' && kind !== 'push') {
  process.stderr.write(
    'usage: registry-credentials.js pull|push   (prints the password of berth-pull or berth-push)\n',
  );
  process.exit(2);
}
const config = loadConfig();
const master = loadMasterKey({ configured: config.masterKey, dataDir: config.dataDir });
const account = registryCredentials(master)[kind];
process.stderr.write(`password of ${account.username}:\n`);
process.stdout.write(`${account.password}\n`);
