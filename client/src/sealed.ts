/**
 * History items of `private-encrypted-` channels come back sealed, `{ nonce, ciphertext }`, as
 * Pusher delivers them live. They open with the channel's shared secret (which pusher-js got from
 * `/realtime/auth`) and tweetnacl's secretbox, the same as pusher-js' own decryption.
 */

/** The part of tweetnacl that opens a sealed event (`import nacl from 'tweetnacl'`). */
export interface SecretBox {
	secretbox: { open(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null };
}

export function isSealed(value: unknown): value is { nonce: string; ciphertext: string } {
	if (typeof value !== 'object' || value === null) return false;
	const v = value as Record<string, unknown>;
	return typeof v.nonce === 'string' && typeof v.ciphertext === 'string';
}

function fromBase64(text: string): Uint8Array {
	const binary = atob(text);
	const bytes = new Uint8Array(binary.length);
	for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
	return bytes;
}

/** The sealed event's JSON, parsed; throws when it does not open with `key`. */
export function openSealed(sealed: { nonce: string; ciphertext: string }, key: Uint8Array, nacl: SecretBox): unknown {
	let opened: Uint8Array | null;
	try {
		opened = nacl.secretbox.open(fromBase64(sealed.ciphertext), fromBase64(sealed.nonce), key);
	} catch {
		opened = null;
	}
	if (!opened) throw new Error('a sealed history item does not open with the channel\'s shared secret');
	return JSON.parse(new TextDecoder().decode(opened));
}
