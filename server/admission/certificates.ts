// The admission webhook's serving certificates (issue 18 item 6), pure apart from the crypto: a CA whose
// certificate is the ValidatingWebhookConfiguration's caBundle, and a serving certificate it signs for
// the webhook Service's DNS names. Keys are ECDSA P-256; certificates are built with @peculiar/x509 over
// Node's WebCrypto (node:crypto can read X.509 but not issue it).
// @peculiar/x509 resolves its ASN.1 handlers through tsyringe, which needs the Reflect metadata polyfill first.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;
/** The CA lives long (its certificate is in the webhook configuration); serving certificates are rotated yearly. */
export const CA_VALIDITY_DAYS = 5 * 365;
export const SERVING_VALIDITY_DAYS = 365;

export interface IssuedPair {
  certPem: string;
  keyPem: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

/** The names the API server may call the Service by: `<svc>.<ns>.svc` is what it uses for a service reference. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [`${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

const randomSerial = () => {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0]! &= 0x7f; // positive
  return Buffer.from(bytes).toString("hex");
};

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
}

async function privatePem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

async function importPrivate(pem: string): Promise<CryptoKey> {
  const [der] = x509.PemConverter.decode(pem);
  return webcrypto.subtle.importKey("pkcs8", der!, ALGORITHM, false, ["sign"]);
}

/** A new CA for one cluster's webhook. */
export async function issueCa(cluster: string, now: Date): Promise<IssuedPair> {
  const keys = await keyPair();
  const serial = randomSerial();
  const notBefore = new Date(now.getTime() - 5 * 60_000); // clock skew between us and the API server
  const notAfter = new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial,
    name: `CN=Policyplane admission webhook CA (${cluster}), O=Policyplane`,
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await privatePem(keys.privateKey), serial, notBefore, notAfter };
}

/** A serving certificate for the Service's DNS names, signed by the CA (never past the CA's own expiry). */
export async function issueServing(
  ca: { certPem: string; keyPem: string },
  service: string,
  namespace: string,
  now: Date,
): Promise<IssuedPair> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const keys = await keyPair();
  const serial = randomSerial();
  const names = serviceDnsNames(service, namespace);
  const notBefore = new Date(now.getTime() - 5 * 60_000);
  const notAfter = new Date(Math.min(now.getTime() + SERVING_VALIDITY_DAYS * DAY_MS, caCert.notAfter.getTime()));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: `CN=${names[0]}`,
    issuer: caCert.subject,
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: await importPrivate(ca.keyPem),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: "dns" as const, value }))),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await privatePem(keys.privateKey), serial, notBefore, notAfter };
}
