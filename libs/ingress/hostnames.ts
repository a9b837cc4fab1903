/** One DNS label: lower-case letters, digits and inner dashes, at most 63 characters. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Characters of the tenant id kept in a default hostname: names are free text and not unique. */
const TENANT_ID_CHARS = 6;

/** A DNS name Berth routes: labels as above, at most 253 characters, no trailing dot. */
export function isRoutableHostname(name: string): boolean {
  if (typeof name !== 'string' || name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => LABEL.test(label));
}

/**
 * The hostname every app gets under the apps domain: `<app>-<tenant>.<domain>`, where `<tenant>` is the
 * tenant's name made a DNS label and cut short, then the first characters of its id. Tenant names are free
 * text and two tenants may share one, so the id part keeps two tenants' hostnames apart; the name part
 * makes it readable. Pure; the app name is already a label (1-40 lower-case letters, digits, dashes).
 */
export function defaultHostname(input: {
  appName: string;
  tenantId: string;
  tenantName: string;
  appsDomain: string;
}): string {
  const idPart = input.tenantId
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, TENANT_ID_CHARS);
  // 63 per label: app, dash, name part, dash, id part.
  const room = 63 - input.appName.length - 1 - 1 - idPart.length;
  const namePart = slug(input.tenantName).slice(0, Math.max(0, room)).replace(/-+$/, '');
  const label = [input.appName, namePart, idPart].filter((part) => part !== '').join('-');
  const hostname = `${label}.${input.appsDomain}`;
  if (!isRoutableHostname(hostname)) {
    throw new RangeError(`default hostname ${JSON.stringify(hostname)} is not a DNS name`);
  }
  return hostname;
}

/** Lower-case ASCII letters and digits, every other run of characters one dash, no dash at either end. */
function slug(text: string): string {
  return text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
