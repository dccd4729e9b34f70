/**
 * End-to-end encrypted channels (private-encrypted-*): each channel's key is
 * SHA-256(channel name + master key); payloads are sealed with NaCl secretbox
 * (XSalsa20-Poly1305) under a fresh 24-byte nonce, as pusher-js expects to open them.
 */
import { createHash, randomBytes } from 'node:crypto';
import nacl from 'tweetnacl';

/** NaCl secretbox's authenticator, added to every sealed text. */
const SEAL_TAG_BYTES = 16;

/** The length of `encrypt`'s answer for a text of `textBytes` UTF-8 bytes (nonce and ciphertext in base64, in JSON). */
export function sealedBytes(textBytes: number): number {
	const base64 = (bytes: number) => 4 * Math.ceil(bytes / 3);
	return '{"nonce":"","ciphertext":""}'.length + base64(nacl.secretbox.nonceLength) + base64(textBytes + SEAL_TAG_BYTES);
}

export class ChannelEncryption {
	private readonly masterKey: Buffer;

	constructor(masterKeyBase64: string) {
		this.masterKey = Buffer.from(masterKeyBase64, 'base64');
		if (this.masterKey.length !== 32) throw new RangeError('the encryption master key must be 32 bytes');
	}

	sharedSecret(channel: string): Buffer {
		return createHash('sha256').update(Buffer.concat([Buffer.from(channel, 'utf8'), this.masterKey])).digest();
	}

	/** The event data Pusher carries for an encrypted channel: JSON of nonce and ciphertext, base64. */
	encrypt(channel: string, text: string): string {
		const nonce = randomBytes(nacl.secretbox.nonceLength);
		const sealed = nacl.secretbox(Buffer.from(text, 'utf8'), nonce, this.sharedSecret(channel));
		return JSON.stringify({ nonce: nonce.toString('base64'), ciphertext: Buffer.from(sealed).toString('base64') });
	}
}
