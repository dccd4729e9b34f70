/** The Pusher HTTP client for our configuration, and the batch sender the queue uses. */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import Pusher from 'pusher';
import { channelType } from '../channels/names.js';
import type { PusherConnectionConfig } from '../config.js';
import type { BatchSender } from './queue.js';

export function createPusher(config: PusherConnectionConfig): Pusher {
	const common = {
		appId: config.appId,
		key: config.key,
		secret: config.secret,
		useTLS: config.useTLS,
		timeout: 10_000,
		// One connection reused for every batch, rather than a TCP (and TLS) handshake per call.
		agent: config.useTLS ? new HttpsAgent({ keepAlive: true, maxSockets: 4 }) : new HttpAgent({ keepAlive: true, maxSockets: 4 }),
		...(config.encryptionMasterKeyBase64 !== undefined ? { encryptionMasterKeyBase64: config.encryptionMasterKeyBase64 } : {}),
	};
	if (config.host !== undefined) {
		return new Pusher({ ...common, host: config.host, ...(config.port !== undefined ? { port: String(config.port) } : {}) });
	}
	return new Pusher({ ...common, cluster: config.cluster ?? 'mt1' });
}

/** Errors carry only a status and a short message: the client's own error holds a signed URL. */
export function batchSender(pusher: Pusher): BatchSender {
	return async (batch) => {
		try {
			await pusher.triggerBatch(
				// The client encrypts private-encrypted-* itself and stringifies what it encrypts.
				batch.map((e) => ({ channel: e.channel, name: e.name, data: channelType(e.channel) === 'private-encrypted' ? JSON.parse(e.data) : e.data, ...(e.socketId ? { socket_id: e.socketId } : {}) })),
			);
		} catch (error) {
			const status = (error as { status?: number }).status;
			const message = status ? `HTTP ${status}` : ((error as Error).message ?? 'request failed').split('\n')[0]!.slice(0, 200);
			throw Object.assign(new Error(message), { status });
		}
	};
}
