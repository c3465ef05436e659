/**
 * The server half of WhatsApp's Noise handshake (`Noise_XX_25519_AESGCM_SHA256`), mirroring Baileys'
 * client (`lib/Utils/noise-handler.js`) step for step with Baileys' own primitives, and the double's
 * certificate chain.
 *
 * Trust: Baileys checks that the chain's intermediate certificate is signed by
 * `WA_CERT_DETAILS.PUBLIC_KEY`. The double has its own root key pair; `trustDoubleRoot` puts the
 * double's root public key into that exported constant for as long as a double runs and puts
 * WhatsApp's key back when the last one stops. Nothing else of Baileys is touched: the socket, the
 * handshake code and every check in it run unmodified.
 */
import type { BaileysModule } from '../../../../../src/adapters/engines/baileys/baileys-types.js';

type KeyPair = { private: Uint8Array; public: Uint8Array };

/** The double's certificate authority: a root key, an intermediate signed by it, and a leaf per server static key. */
export interface DoubleCertificates {
  root: KeyPair;
  intermediate: KeyPair;
  /** The CertChain (protobuf) naming `serverStatic` as the leaf key. */
  chainFor(serverStatic: Uint8Array): Uint8Array;
}

/** Creates the double's certificate authority. */
export function createCertificates(lib: BaileysModule): DoubleCertificates {
  const { Curve, proto } = lib;
  const root = Curve.generateKeyPair();
  const intermediate = Curve.generateKeyPair();
  const Details = proto.CertChain.NoiseCertificate.Details;
  const intermediateDetails = Details.encode({ serial: 1, issuerSerial: lib.WA_CERT_DETAILS.SERIAL, key: intermediate.public }).finish();
  return {
    root,
    intermediate,
    chainFor(serverStatic) {
      const leafDetails = Details.encode({ serial: 2, issuerSerial: 1, key: serverStatic }).finish();
      return proto.CertChain.encode({
        intermediate: { details: intermediateDetails, signature: Curve.sign(root.private, intermediateDetails) },
        leaf: { details: leafDetails, signature: Curve.sign(intermediate.private, leafDetails) },
      }).finish();
    },
  };
}

let trusted = 0;
let whatsappRoot: Buffer | undefined;

/** Makes Baileys trust the double's root for the lifetime of the returned release function. */
export function trustDoubleRoot(lib: BaileysModule, certs: DoubleCertificates): () => void {
  const details = lib.WA_CERT_DETAILS as { PUBLIC_KEY: Buffer };
  if (trusted === 0) whatsappRoot = details.PUBLIC_KEY;
  else if (!Buffer.from(certs.root.public).equals(details.PUBLIC_KEY)) throw new Error('another double with a different root is running');
  trusted += 1;
  details.PUBLIC_KEY = Buffer.from(certs.root.public);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    trusted -= 1;
    if (trusted === 0 && whatsappRoot) details.PUBLIC_KEY = whatsappRoot;
  };
}

/** One connection's Noise state, server side. */
export interface NoiseServer {
  /** Feeds raw bytes; returns the complete frames (plaintext after the handshake). */
  receive(bytes: Buffer): Promise<{ hello?: Uint8Array; finish?: { clientStatic: Uint8Array; payload: Uint8Array }; frames: Uint8Array[] }>;
  /** The ServerHello answering a ClientHello's ephemeral key. */
  serverHello(clientEphemeral: Uint8Array): Uint8Array;
  /** Wraps a frame for the wire (encrypted once the handshake finished). */
  frame(data: Uint8Array): Buffer;
}

const IV = (counter: number) => {
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(counter, 8);
  return iv;
};

/** Creates the server side of one connection's handshake and transport. */
export function createNoiseServer(lib: BaileysModule, certs: DoubleCertificates, serverStatic: KeyPair): NoiseServer {
  const { Curve, hkdf, sha256, aesEncryptGCM, aesDecryptGCM, proto } = lib;
  let hash: Buffer = Buffer.from(lib.NOISE_MODE);
  if (hash.length !== 32) hash = Buffer.from(sha256(hash));
  let salt: Uint8Array = hash;
  let key: Uint8Array = hash;
  let counter = 0;
  let ephemeral: KeyPair | undefined;
  let transport: { enc: Uint8Array; dec: Uint8Array; read: number; write: number } | undefined;
  let inBytes = Buffer.alloc(0);
  let introRead = false;
  let stage: 'hello' | 'finish' | 'transport' = 'hello';

  const authenticate = (data: Uint8Array) => {
    if (!transport) hash = Buffer.from(sha256(Buffer.concat([hash, data])));
  };
  const mixIntoKey = (data: Uint8Array) => {
    const out = Buffer.from(hkdf(Buffer.from(data), 64, { salt: Buffer.from(salt), info: '' }));
    salt = out.subarray(0, 32);
    key = out.subarray(32);
    counter = 0;
  };
  const encrypt = (plain: Uint8Array) => {
    const out = aesEncryptGCM(plain, key, IV(counter++), hash);
    authenticate(out);
    return out;
  };
  const decrypt = (cipher: Uint8Array) => {
    const out = aesDecryptGCM(cipher, key, IV(counter++), hash);
    authenticate(cipher);
    return out;
  };

  return {
    async receive(bytes) {
      inBytes = Buffer.concat([inBytes, bytes]);
      const result: Awaited<ReturnType<NoiseServer['receive']>> = { frames: [] };
      if (!introRead) {
        let at = 0;
        // With routing info the intro starts "ED" + version + 3-byte length + the routing info.
        if (inBytes.length >= 2 && inBytes[0] === 0x45 && inBytes[1] === 0x44) {
          if (inBytes.length < 7) return result;
          at = 7 + ((inBytes[4]! << 16) | inBytes.readUInt16BE(5));
        }
        if (inBytes.length < at + 4) return result;
        authenticate(inBytes.subarray(at, at + 4));
        inBytes = inBytes.subarray(at + 4);
        introRead = true;
      }
      while (inBytes.length >= 3) {
        const size = (inBytes[0]! << 16) | (inBytes[1]! << 8) | inBytes[2]!;
        if (inBytes.length < size + 3) break;
        const data = inBytes.subarray(3, size + 3);
        inBytes = inBytes.subarray(size + 3);
        if (stage === 'hello') {
          const message = proto.HandshakeMessage.decode(data);
          result.hello = message.clientHello!.ephemeral!;
          stage = 'finish';
        } else if (stage === 'finish') {
          const message = proto.HandshakeMessage.decode(data);
          const clientStatic = decrypt(message.clientFinish!.static!);
          mixIntoKey(Curve.sharedKey(ephemeral!.private, clientStatic));
          const payload = decrypt(message.clientFinish!.payload!);
          const out = Buffer.from(hkdf(Buffer.alloc(0), 64, { salt: Buffer.from(salt), info: '' }));
          // The client encrypts with the first half and decrypts with the second.
          transport = { dec: out.subarray(0, 32), enc: out.subarray(32), read: 0, write: 0 };
          stage = 'transport';
          result.finish = { clientStatic, payload };
        } else {
          result.frames.push(aesDecryptGCM(data, transport!.dec, IV(transport!.read++), Buffer.alloc(0)));
        }
      }
      return result;
    },
    serverHello(clientEphemeral) {
      authenticate(clientEphemeral);
      ephemeral = Curve.generateKeyPair();
      authenticate(ephemeral.public);
      mixIntoKey(Curve.sharedKey(ephemeral.private, clientEphemeral));
      const staticEnc = encrypt(serverStatic.public);
      mixIntoKey(Curve.sharedKey(serverStatic.private, clientEphemeral));
      const payload = encrypt(certs.chainFor(serverStatic.public));
      return proto.HandshakeMessage.encode({ serverHello: { ephemeral: ephemeral.public, static: staticEnc, payload } }).finish();
    },
    frame(data) {
      const body = transport ? aesEncryptGCM(data, transport.enc, IV(transport.write++), Buffer.alloc(0)) : data;
      const out = Buffer.alloc(3 + body.length);
      out[0] = (body.length >>> 16) & 0xff;
      out[1] = (body.length >>> 8) & 0xff;
      out[2] = body.length & 0xff;
      out.set(body, 3);
      return out;
    },
  };
}
