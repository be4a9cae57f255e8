import { createHash, createPublicKey, generateKeyPair, randomBytes, X509Certificate } from 'crypto';
import { promisify } from 'util';
import forge from 'node-forge';
import { BadRequest } from '../http/faults';

/** Nova's InvalidKeypair (400). */
export function invalidKeypair(reason: string): BadRequest {
  return new BadRequest(`Keypair data is invalid: ${reason}`);
}

const colonHex = (hex: string) => hex.toLowerCase().match(/../g)!.join(':');

/** The SSH wire format's length-prefixed fields (RFC 4253 §6.6) of a public key blob. */
function sshFields(blob: Buffer): Buffer[] {
  const fields: Buffer[] = [];
  let at = 0;
  while (at < blob.length) {
    if (at + 4 > blob.length) throw new Error('truncated');
    const len = blob.readUInt32BE(at);
    if (at + 4 + len > blob.length) throw new Error('truncated');
    fields.push(blob.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return fields;
}

/** How many fields each key type's blob holds after its name (what cryptography's load_ssh_public_key reads). */
const SSH_FIELDS: Record<string, number> = {
  'ssh-rsa': 2, 'ssh-dss': 4, 'ssh-ed25519': 1, 'ecdsa-sha2-nistp256': 2, 'ecdsa-sha2-nistp384': 2, 'ecdsa-sha2-nistp521': 2,
};

/**
 * nova/crypto.py generate_fingerprint: the key must load as an OpenSSH public key
 * (`<type> <base64 blob> [comment]`, the blob naming the same type); the fingerprint is the
 * blob's MD5, colon-separated.
 */
export function sshFingerprint(publicKey: string): string {
  try {
    const [type, data] = publicKey.split(' ');
    if (!(type in SSH_FIELDS) || !data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) throw new Error('format');
    const blob = Buffer.from(data, 'base64');
    const fields = sshFields(blob);
    if (fields[0]?.toString('latin1') !== type || fields.length !== 1 + SSH_FIELDS[type]) throw new Error('fields');
    if (type === 'ssh-ed25519' && fields[1].length !== 32) throw new Error('ed25519 length');
    if (type === 'ssh-rsa') {
      const b64u = (b: Buffer) => b.toString('base64url');
      createPublicKey({ key: { kty: 'RSA', e: b64u(stripSign(fields[1])), n: b64u(stripSign(fields[2])) }, format: 'jwk' });
    }
    return colonHex(createHash('md5').update(blob).digest('hex'));
  } catch {
    throw invalidKeypair('failed to generate fingerprint');
  }
}

function stripSign(mpint: Buffer): Buffer {
  let i = 0;
  while (i < mpint.length - 1 && mpint[i] === 0) i++;
  return mpint.subarray(i);
}

/** nova/crypto.py generate_x509_fingerprint: the SHA-1 of the PEM certificate's DER, colon-separated. */
export function x509Fingerprint(pem: string): string {
  try {
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('Unable to load PEM file. MalformedFraming');
    return colonHex(new X509Certificate(pem).fingerprint.replace(/:/g, ''));
  } catch (err) {
    throw invalidKeypair(`failed to generate X509 fingerprint. Error message: ${(err as Error).message}`);
  }
}

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

function mpint(unsigned: Buffer): Buffer {
  return sshString(unsigned[0] & 0x80 ? Buffer.concat([Buffer.from([0]), unsigned]) : unsigned);
}

const rsaPair = promisify(generateKeyPair);

async function newRsaKey() {
  return rsaPair('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } });
}

export interface GeneratedKey {
  privateKey: string;
  publicKey: string;
  fingerprint: string;
}

/** nova/crypto.py generate_key_pair: RSA 2048, the private key in PEM (paramiko's), the public one `ssh-rsa ... Generated-by-Nova`. */
export async function generateSshKey(): Promise<GeneratedKey> {
  const { privateKey, publicKey } = await newRsaKey();
  const jwk = createPublicKey(publicKey).export({ format: 'jwk' });
  const blob = Buffer.concat([sshString(Buffer.from('ssh-rsa')), mpint(Buffer.from(jwk.e!, 'base64url')), mpint(Buffer.from(jwk.n!, 'base64url'))]);
  const openssh = `ssh-rsa ${blob.toString('base64')} Generated-by-Nova`;
  return { privateKey, publicKey: openssh, fingerprint: sshFingerprint(openssh) };
}

/**
 * nova/crypto.py generate_winrm_x509_cert: a self-signed client certificate for CN=<user id>,
 * valid ten years; the private key is the PKCS#12 bundle (empty password), base64-encoded.
 */
export async function generateX509Key(userId: string): Promise<GeneratedKey> {
  const { privateKey } = await newRsaKey();
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = new Date();
  cert.validity.notAfter = new Date(Date.now() + 3650 * 24 * 3600 * 1000);
  const subject = [{ name: 'commonName', value: userId }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([{ name: 'extKeyUsage', clientAuth: true }]);
  cert.sign(key, forge.md.sha256.create());
  const pem = forge.pki.certificateToPem(cert);
  const p12 = forge.asn1.toDer(forge.pkcs12.toPkcs12Asn1(key, cert, '', { algorithm: '3des' })).getBytes();
  return { privateKey: Buffer.from(p12, 'binary').toString('base64'), publicKey: pem, fingerprint: x509Fingerprint(pem) };
}
