import { readFile } from 'node:fs/promises';
import { formatBlock, type Ipv4Block } from './subnet-pool.js';

export interface MachineRoute {
  iface: string;
  destination: Ipv4Block;
}

/**
 * Interfaces of Docker networks: `docker0` and the `br-<network id>` bridges of user-defined networks.
 * Their subnets are checked through each host's engine instead, where Berth's own tenant networks (of
 * this or another installation sharing the machine) are told apart by their label.
 */
const DOCKER_BRIDGE = /^(docker0|br-[0-9a-f]{12})$/;

/**
 * The IPv4 routes of /proc/net/route, without the default route (0.0.0.0/0 overlaps everything and says
 * nothing about which addresses are in use). Destination and mask are little-endian hex. Pure.
 */
export function parseProcNetRoute(text: string): MachineRoute[] {
  const routes: MachineRoute[] = [];
  for (const line of text.split('\n').slice(1)) {
    const [iface, destinationHex, , , , , , maskHex] = line.trim().split(/\s+/);
    if (!iface || !destinationHex || !maskHex) continue;
    const destination = littleEndian(destinationHex);
    const mask = littleEndian(maskHex);
    const prefix = prefixOfMask(mask);
    if (prefix === undefined || prefix === 0) continue;
    routes.push({ iface, destination: { start: destination, prefix } });
  }
  return routes;
}

function littleEndian(hex: string): number {
  const value = Number.parseInt(hex, 16);
  return [0, 8, 16, 24].reduce((out, shift) => out * 256 + (Math.floor(value / 2 ** shift) % 256), 0);
}

/** The prefix length of a contiguous netmask, `undefined` for a non-contiguous one. */
function prefixOfMask(mask: number): number | undefined {
  for (let prefix = 0; prefix <= 32; prefix += 1) {
    if (mask === 2 ** 32 - 2 ** (32 - prefix)) return prefix;
  }
  return undefined;
}

/** Routes of this machine that are not Docker bridges; empty where /proc/net/route does not exist. */
export async function readMachineRoutes(file = '/proc/net/route'): Promise<MachineRoute[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return parseProcNetRoute(text).filter((route) => !DOCKER_BRIDGE.test(route.iface));
}

export function describeRoute(route: MachineRoute): string {
  return `${formatBlock(route.destination)} (dev ${route.iface})`;
}
