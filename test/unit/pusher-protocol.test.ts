/**
 * The bridge's own Pusher protocol code (signatures, encryption, the HTTP API client), checked
 * against the official `pusher` package as an independent oracle, and the client's failure
 * paths against a local HTTP server.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Pusher from 'pusher';
import { createRequire } from 'node:module';
import nacl from 'tweetnacl';
import type { PusherConnectionConfig } from '../../shared/src/config.js';
import { PusherApp } from '../../shared/src/pusher/app.js';
import { ChannelEncryption } from '../../shared/src/pusher/encryption.js';
import { apiOrigin, PusherRestClient } from '../../shared/src/pusher/rest-client.js';
import { signChannelAuthorization, signUserAuthentication, signedQuery } from '../../shared/src/pusher/signatures.js';

const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');
const app = { key: 'app-key', secret: 'app-secret' };
const official = new Pusher({ appId: '1', key: app.key, secret: app.secret, host: '127.0.0.1', encryptionMasterKeyBase64: MASTER_KEY });
const SOCKET = '1234.5678';
// Public in the official client, missing from its type definitions.
const officialSecret = (channel: string): Uint8Array => (official as unknown as { channelSharedSecret(c: string): Buffer }).channelSharedSecret(channel);
// The official client's own request signer (not part of its public API, but its code).
const officialSigner: (token: unknown, request: { method: string; path: string; body?: string; params?: Record<string, string> }) => string =
	createRequire(import.meta.url)('pusher/lib/requests').createSignedQueryString;

function config(overrides: Partial<PusherConnectionConfig> = {}): PusherConnectionConfig {
	return { appId: 'app-1', key: app.key, secret: app.secret, host: '127.0.0.1', port: 1, cluster: undefined, useTLS: false, encryptionMasterKeyBase64: MASTER_KEY, ...overrides };
}

describe('Pusher signatures', () => {
	it('authorizes private channels as the official client does', () => {
		assert.deepEqual(signChannelAuthorization(app, SOCKET, 'private-chat-7'), official.authorizeChannel(SOCKET, 'private-chat-7'));
	});

	it('authorizes presence channels with the member as channel_data, as the official client does', () => {
		const member = { user_id: 'u-1', user_info: { name: 'Ada', emoji: '✓' } };
		const ours = signChannelAuthorization(app, SOCKET, 'presence-room-1', member);
		assert.deepEqual(ours, official.authorizeChannel(SOCKET, 'presence-room-1', member));
		assert.equal(ours.channel_data, JSON.stringify(member));
	});

	it('gives encrypted channels the shared secret the official client derives', () => {
		const ours = new PusherApp(config()).signChannel(SOCKET, 'private-encrypted-vault');
		assert.deepEqual(ours, official.authorizeChannel(SOCKET, 'private-encrypted-vault'));
		assert.ok(ours.shared_secret);
	});

	it('refuses to authorize an encrypted channel without a master key', () => {
		assert.throws(() => new PusherApp(config({ encryptionMasterKeyBase64: undefined })).signChannel(SOCKET, 'private-encrypted-vault'), /RT_ENCRYPTION_MASTER_KEY is not set/);
	});

	it('authenticates users as the official client does', () => {
		const user = { id: 'u-1', user_info: { name: 'Ada' } };
		assert.deepEqual(signUserAuthentication(app, SOCKET, user), official.authenticateUser(SOCKET, user));
	});

	it('signs HTTP API requests as the official client does', (t) => {
		const body = JSON.stringify({ batch: [{ channel: 'news', name: 'e', data: '{"a":"ü"}' }] });
		const now = 1_700_000_000;
		t.mock.method(Date, 'now', () => now * 1000);
		const expected = officialSigner((official as any).config.token, { method: 'POST', path: '/apps/1/batch_events', body });
		assert.equal(signedQuery(app, 'POST', '/apps/1/batch_events', body, now), expected);
		assert.match(expected, /body_md5=[0-9a-f]{32}/);
	});

	it('signs GET requests with their own parameters as the official client does', (t) => {
		const now = 1_700_000_000;
		t.mock.method(Date, 'now', () => now * 1000);
		const params = { filter_by_prefix: 'presence-', info: 'subscription_count,user_count' };
		const expected = officialSigner((official as any).config.token, { method: 'GET', path: '/apps/1/channels', params });
		assert.equal(signedQuery(app, 'GET', '/apps/1/channels', undefined, now, params), expected);
		assert.match(expected, /filter_by_prefix=presence-/);
	});
});

describe('encrypted channels', () => {
	const encryption = new ChannelEncryption(MASTER_KEY);

	it('derives the shared secret the official client derives', () => {
		assert.deepEqual(encryption.sharedSecret('private-encrypted-a'), officialSecret('private-encrypted-a'));
		assert.notDeepEqual(encryption.sharedSecret('private-encrypted-a'), encryption.sharedSecret('private-encrypted-b'));
	});

	it('seals payloads that open with the channel secret, under a fresh nonce each time', () => {
		const text = JSON.stringify({ message: 'hello', n: 1 });
		const first = JSON.parse(encryption.encrypt('private-encrypted-a', text));
		const second = JSON.parse(encryption.encrypt('private-encrypted-a', text));
		assert.notEqual(first.nonce, second.nonce);
		const opened = nacl.secretbox.open(Buffer.from(first.ciphertext, 'base64'), Buffer.from(first.nonce, 'base64'), officialSecret('private-encrypted-a'));
		assert.ok(opened, 'the official secret opens the box');
		assert.equal(Buffer.from(opened).toString('utf8'), text);
		assert.equal(nacl.secretbox.open(Buffer.from(first.ciphertext, 'base64'), Buffer.from(first.nonce, 'base64'), officialSecret('private-encrypted-b')), null);
	});

	it('refuses a master key that is not 32 bytes', () => {
		assert.throws(() => new ChannelEncryption(Buffer.alloc(16).toString('base64')), /32 bytes/);
	});
});

describe('the HTTP API client', () => {
	type Seen = { method: string; url: string; body: string; headers: IncomingMessage['headers'] };
	const seen: Seen[] = [];
	let answer: (req: IncomingMessage, body: string) => { status: number; body: string; delayMs?: number } = () => ({ status: 200, body: '{}' });
	let server: Server;
	let port: number;

	before(async () => {
		server = createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				const body = Buffer.concat(chunks).toString('utf8');
				seen.push({ method: req.method!, url: req.url!, body, headers: req.headers });
				const { status, body: out, delayMs = 0 } = answer(req, body);
				setTimeout(() => res.writeHead(status, { 'content-type': 'text/plain' }).end(out), delayMs);
			});
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		port = (server.address() as AddressInfo).port;
	});
	after(() => server.close());

	it('POSTs the batch to /apps/:id/batch_events with a signature the official signer agrees with', async (t) => {
		seen.length = 0;
		answer = () => ({ status: 200, body: '{}' });
		const client = new PusherRestClient(config({ port }), { now: () => 1_700_000_000_000 });
		t.after(() => client.close());
		const batch = [{ channel: 'news', name: 'created', data: '{"id":1}', socket_id: SOCKET }];
		await client.triggerBatch(batch);
		assert.equal(seen.length, 1);
		const [path, query] = seen[0]!.url.split('?') as [string, string];
		assert.equal(seen[0]!.method, 'POST');
		assert.equal(path, '/apps/app-1/batch_events');
		assert.deepEqual(JSON.parse(seen[0]!.body), { batch });
		assert.equal(seen[0]!.headers['content-type'], 'application/json');
		t.mock.method(Date, 'now', () => 1_700_000_000_000);
		assert.equal(query, officialSigner((official as any).config.token, { method: 'POST', path, body: seen[0]!.body }));
	});

	it('seals private-encrypted events before they leave, and leaves the others as they are', async (t) => {
		seen.length = 0;
		const pusher = new PusherApp(config({ port }));
		t.after(() => pusher.close());
		await pusher.triggerBatch([
			{ channel: 'private-encrypted-vault', name: 'secret', data: '{"pin":1234}' },
			{ channel: 'private-open', name: 'plain', data: '{"pin":1234}' },
		]);
		const [sealed, plain] = JSON.parse(seen[0]!.body).batch;
		assert.doesNotMatch(sealed.data, /1234/);
		const box = JSON.parse(sealed.data);
		const opened = nacl.secretbox.open(Buffer.from(box.ciphertext, 'base64'), Buffer.from(box.nonce, 'base64'), officialSecret('private-encrypted-vault'));
		assert.equal(Buffer.from(opened!).toString('utf8'), '{"pin":1234}');
		assert.equal(plain.data, '{"pin":1234}');
	});

	it('fails with the status and the server reason, never the signed URL', async (t) => {
		answer = () => ({ status: 413, body: 'The data content of this event exceeds the allowed maximum (10240 bytes).\nmore' });
		const client = new PusherRestClient(config({ port }));
		t.after(() => client.close());
		const error = await client.triggerBatch([{ channel: 'news', name: 'e', data: '{}' }]).then(
			() => assert.fail('should fail'),
			(e: Error & { status?: number }) => e,
		);
		assert.equal(error.status, 413);
		assert.equal(error.message, 'HTTP 413: The data content of this event exceeds the allowed maximum (10240 bytes).');
		assert.doesNotMatch(error.message, /auth_signature|app-secret/);
	});

	it('cuts a long or hostile reason short', async (t) => {
		answer = () => ({ status: 500, body: 'x'.repeat(100_000) });
		const client = new PusherRestClient(config({ port }));
		t.after(() => client.close());
		const error: Error & { status?: number } = await client.triggerBatch([]).catch((e) => e);
		assert.equal(error.status, 500);
		assert.ok(error.message.length <= 'HTTP 500: '.length + 200, `message is ${error.message.length} characters`);
	});

	it('gives up on a server that does not answer in time, without a status', async (t) => {
		answer = () => ({ status: 200, body: '{}', delayMs: 1000 });
		const client = new PusherRestClient(config({ port }), { timeoutMs: 100 });
		t.after(() => client.close());
		const error: Error & { status?: number } = await client.triggerBatch([]).catch((e) => e);
		assert.equal(error.status, undefined);
		assert.match(error.message, /no answer within 100 ms/);
	});

	it('reports an unreachable server without a status, so the queue retries', async (t) => {
		const closed = createServer();
		await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
		const deadPort = (closed.address() as AddressInfo).port;
		await new Promise((resolve) => closed.close(resolve));
		const client = new PusherRestClient(config({ port: deadPort }));
		t.after(() => client.close());
		const error: Error & { status?: number } = await client.triggerBatch([]).catch((e) => e);
		assert.equal(error.status, undefined);
		assert.match(error.message, /ECONNREFUSED/);
	});

	it('addresses Pusher cloud by cluster over TLS, and a self-hosted server by host', () => {
		assert.deepEqual(apiOrigin(config({ host: undefined, port: undefined, cluster: 'eu', useTLS: true })), { host: 'api-eu.pusher.com', port: 443, useTLS: true });
		assert.deepEqual(apiOrigin(config({ host: 'soketi', port: 6001 })), { host: 'soketi', port: 6001, useTLS: false });
		assert.deepEqual(apiOrigin(config({ host: 'ws.example.com', port: undefined, useTLS: true })), { host: 'ws.example.com', port: 443, useTLS: true });
	});
});
