import { createPrivateKey, X509Certificate } from 'node:crypto';

/** An uploaded certificate that passed every check, with its key in a normal form (PKCS#8 PEM). */
export interface CheckedCertificate {
  chainPem: string;
  keyPem: string;
  notAfter: Date;
  /** The leaf's issuer name, one line (e.g. `CN=Pebble Intermediate CA 1a2b3c`). */
  issuer: string;
}

/** Why an uploaded certificate is refused (shown to the tenant as is). */
export class CertificateRejectedError extends Error {
  override name = 'CertificateRejectedError';
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+?-----END CERTIFICATE-----/g;
const MAX_PEM_BYTES = 64 * 1024;
const MAX_CHAIN = 8;

/**
 * Checks an uploaded PEM chain and key for `hostname` at `now`: the chain parses (leaf first, at most 8
 * certificates, nothing but certificate blocks), the key parses unencrypted and matches the leaf, the leaf
 * covers the hostname (SAN, wildcards as X.509 allows), and it is valid now. Pure apart from the clock
 * the caller passes. Throws CertificateRejectedError with the reason.
 */
export function checkCertificate(input: {
  certificatePem: string;
  privateKeyPem: string;
  hostname: string;
  now: Date;
}): CheckedCertificate {
  const { certificatePem, privateKeyPem } = input;
  if (Buffer.byteLength(certificatePem) > MAX_PEM_BYTES || Buffer.byteLength(privateKeyPem) > MAX_PEM_BYTES) {
    throw new CertificateRejectedError('certificate or key larger than 64 KiB');
  }
  const blocks = certificatePem.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) throw new CertificateRejectedError('no PEM certificate found');
  if (blocks.length > MAX_CHAIN) throw new CertificateRejectedError(`more than ${MAX_CHAIN} certificates`);
  // Only certificate blocks (and whitespace): a private key pasted into the chain would be served.
  if (certificatePem.replace(CERTIFICATE_BLOCK, '').trim() !== '') {
    throw new CertificateRejectedError('the chain holds something other than certificates');
  }
  let chain: X509Certificate[];
  try {
    chain = blocks.map((block) => new X509Certificate(block));
  } catch {
    throw new CertificateRejectedError('a certificate of the chain does not parse');
  }
  let key;
  try {
    key = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  } catch {
    throw new CertificateRejectedError('the private key does not parse (or is encrypted)');
  }
  const leaf = chain[0]!;
  if (!leaf.checkPrivateKey(key))
    throw new CertificateRejectedError('the private key does not match the certificate');
  if (leaf.checkHost(input.hostname, { subject: 'default' }) === undefined) {
    throw new CertificateRejectedError(`the certificate does not cover ${input.hostname}`);
  }
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (notAfter.getTime() <= input.now.getTime())
    throw new CertificateRejectedError('the certificate has expired');
  if (notBefore.getTime() > input.now.getTime())
    throw new CertificateRejectedError('the certificate is not valid yet');
  return {
    chainPem: `${chain.map((certificate) => certificate.toString().trim()).join('\n')}\n`,
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    notAfter,
    issuer: leaf.issuer.split('\n').join(', ').slice(0, 300),
  };
}
