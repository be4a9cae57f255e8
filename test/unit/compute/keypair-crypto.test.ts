import { X509Certificate } from 'crypto';
import { generateSshKey, generateX509Key, sshFingerprint, x509Fingerprint } from '../../../src/compute/keypair-crypto';

// tempest's test_keypair_create_with_pub_key key; its fingerprint as `ssh-keygen -l -E md5` prints it.
const TEMPEST_KEY = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCsNe3/1ILNCqFyfYWDeTKLD6jEXC2OQHLmietMWW+/vdaZq7KZEwO0jhglaFjU1mpqq4Gz5RX156sCTNM9vRbwKAxfsdF9laBYVsex3m3Wmui3uYrKyumsoJn2g9GNnG1PI1mrVjZ61i0GY3khna+wzlTpCCmy5HNlrmbj3XLqBUpipTOXmsnr4sChzC53KCd8LXuwc1i/CZPvF+3XipvAgFSE53pCtLOeB1kYMOBaiUPLQTWXR3JpckqFIQwhIH0zoHlJvZE8hh90XcPojYN56tI0OlrGqojbediJYD0rUsJu4weZpbn8vilb3JuDY+jwssnSA8wzBx3A/8y9Pp1B nova@ubuntu';

describe('keypair crypto (nova/crypto.py)', () => {
  test('an imported OpenSSH key gets the MD5 fingerprint of its blob', () => {
    expect(sshFingerprint(TEMPEST_KEY)).toBe('61:5f:fe:c7:e0:fd:d7:4a:2b:52:6e:a6:f5:bf:da:27');
  });

  test.each([
    ['not a key'],
    ['ssh-rsa'],
    ['ssh-rsa AAAAB3Nza bad'],
    // an ed25519 blob announced as RSA
    ['ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl x'],
    ['ssh-foo AAAAB3NzaC1yc2EAAAADAQABAAABAQCs x'],
  ])('%s is refused as Nova refuses it', (key) => {
    expect(() => sshFingerprint(key)).toThrow('Keypair data is invalid: failed to generate fingerprint');
  });

  test('a generated ssh key pair is a PEM private key and a loadable OpenSSH public key', async () => {
    const k = await generateSshKey();
    expect(k.privateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(k.publicKey).toMatch(/^ssh-rsa [A-Za-z0-9+/=]+ Generated-by-Nova$/);
    expect(sshFingerprint(k.publicKey)).toBe(k.fingerprint);
  });

  test('a generated x509 key is a self-signed certificate for the user and a PKCS#12 bundle', async () => {
    const k = await generateX509Key('u-1');
    const cert = new X509Certificate(k.publicKey);
    expect(cert.subject).toBe('CN=u-1');
    expect(cert.checkIssued(cert)).toBe(true);
    expect(x509Fingerprint(k.publicKey)).toBe(k.fingerprint);
    expect(k.fingerprint).toMatch(/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
    expect(Buffer.from(k.privateKey, 'base64')[0]).toBe(0x30);
  });

  test('a certificate that does not load is refused', () => {
    expect(() => x509Fingerprint('garbage')).toThrow(/^Keypair data is invalid: failed to generate X509 fingerprint\. Error message: /);
  });
});
