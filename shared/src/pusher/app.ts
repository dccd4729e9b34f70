/**
 * The Pusher app of our configuration, in one object: it signs channel authorizations and user
 * authentications, holds the encryption of private-encrypted channels, and sends batches.
 */
import { channelType } from './names.js';
import type { PusherConnectionConfig } from '../config.js';
import { ChannelEncryption } from './encryption.js';
import { PusherRestClient, type BatchEvent, type RestClientOptions } from './rest-client.js';
import { signChannelAuthorization, signUserAuthentication, type AppCredentials, type ChannelAuthorization, type UserAuthentication } from './signatures.js';

/**
 * An event this instance can never send, however often it tries: a private-encrypted one
 * without RT_ENCRYPTION_MASTER_KEY here (written to the outbox by an instance that has the key,
 * or before a restart without it). Senders drop it as they drop an event Pusher refuses.
 */
export class UnsendableEventError extends Error {
	readonly unsendable = true;
}

export class PusherApp {
	/** Undefined without RT_ENCRYPTION_MASTER_KEY: encrypted channels are then refused. */
	readonly encryption: ChannelEncryption | undefined;
	private readonly credentials: AppCredentials;
	private readonly rest: PusherRestClient;

	constructor(config: PusherConnectionConfig, options: RestClientOptions = {}) {
		this.credentials = { key: config.key, secret: config.secret };
		this.encryption = config.encryptionMasterKeyBase64 === undefined ? undefined : new ChannelEncryption(config.encryptionMasterKeyBase64);
		this.rest = new PusherRestClient(config, options);
	}

	signChannel(socketId: string, channel: string, member?: { user_id: string; user_info?: unknown }): ChannelAuthorization {
		const secret = channelType(channel) === 'private-encrypted' ? this.requireEncryption(channel).sharedSecret(channel) : undefined;
		return signChannelAuthorization(this.credentials, socketId, channel, member, secret);
	}

	signUser(socketId: string, user: { id: string; user_info?: unknown }): UserAuthentication {
		return signUserAuthentication(this.credentials, socketId, user);
	}

	/**
	 * Sends up to 10 events in one call; private-encrypted-* payloads are sealed first, in place:
	 * the batch is the caller's own copy for this attempt (the publish queue makes one per attempt).
	 */
	async triggerBatch(batch: BatchEvent[]): Promise<void> {
		for (const event of batch) {
			if (channelType(event.channel) !== 'private-encrypted') continue;
			if (!this.encryption) throw new UnsendableEventError(`"${event.channel}" is encrypted, and RT_ENCRYPTION_MASTER_KEY is not set`);
			event.data = this.encryption.encrypt(event.channel, event.data);
		}
		await this.rest.triggerBatch(batch);
	}

	/**
	 * Whether the Pusher server answers its HTTP API (a signed GET /channels, which also proves
	 * the credentials), and how long it took; never throws.
	 */
	async probe(timeoutMs: number): Promise<{ reachable: boolean; latency_ms: number; error?: string }> {
		const started = performance.now();
		try {
			await this.rest.get('/channels', {}, timeoutMs);
			return { reachable: true, latency_ms: Math.round(performance.now() - started) };
		} catch (error) {
			return { reachable: false, latency_ms: Math.round(performance.now() - started), error: (error as Error).message };
		}
	}

	/** Ends every connection of a user signed in through `/realtime/user-auth`. */
	terminateUserConnections(userId: string): Promise<void> {
		return this.rest.terminateUserConnections(userId);
	}

	/** Occupied channels (`GET /channels`), with their subscription counts when `info` asks. */
	channels(params: Record<string, string>): Promise<unknown> {
		return this.rest.get('/channels', params);
	}

	/** Members of a presence channel (`GET /channels/:name/users`). */
	channelUsers(channel: string): Promise<unknown> {
		return this.rest.get(`/channels/${channel}/users`);
	}

	close(): void {
		this.rest.close();
	}

	private requireEncryption(channel: string): ChannelEncryption {
		if (!this.encryption) throw new Error(`"${channel}" is encrypted, and RT_ENCRYPTION_MASTER_KEY is not set`);
		return this.encryption;
	}
}
