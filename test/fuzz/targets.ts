/**
 * The fuzzed endpoints, one entry each: what to generate, how it becomes a request, and what the
 * answer must hold beyond the common bar (under 500, JSON, a reason with every refusal, no stack
 * trace; checked in fuzz.test.ts). A new public endpoint is one more entry in TARGETS.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import {
	bodySpec,
	channelName,
	contentType,
	credential,
	encodeBody,
	fieldValue,
	headerText,
	matchingType,
	oddHeaders,
	socketId,
	validSocketId,
	wellFormedChannelName,
	type BodySpec,
	type Credential,
	type FuzzWorld,
} from './arbitraries.js';
import type { FuzzRequest, FuzzResponse } from './http.js';

export interface Target<I = any> {
	/** The endpoint, as the report names it. */
	name: string;
	input(world: FuzzWorld): fc.Arbitrary<I>;
	request(input: I, world: FuzzWorld): FuzzRequest;
	/** Endpoint-specific checks of an answer that passed the common ones; `body` is its parsed JSON. */
	check(input: I, response: FuzzResponse, body: any, world: FuzzWorld): void;
}

const hmac = (secret: string, text: string | Buffer) => createHmac('sha256', secret).update(text).digest('hex');

/** The headers of a POST with a generated body. */
function postHeaders(cred: Credential, spec: BodySpec, type: string | undefined | 'matching', odd: Record<string, string>): Record<string, string> {
	const chosen = type === 'matching' ? matchingType(spec.encoding) : type;
	return { ...cred.headers, ...odd, ...(chosen === undefined ? {} : { 'content-type': chosen }) };
}

const withQuery = (path: string, cred: Credential, extra?: string) => {
	const query = [cred.query, extra].filter(Boolean).join('&');
	return query ? `${path}?${query}` : path;
};

/** The fields as a well-formed request would carry them: one string each, in a body its Content-Type names. */
function plainFields(spec: BodySpec, type: string | undefined | 'matching', names: string[]): Record<string, string> | null {
	if (type !== 'matching' || (spec.encoding !== 'form' && spec.encoding !== 'json') || spec.top !== undefined) return null;
	if (spec.encoding === 'form' && spec.extra.some(([k]) => names.includes(k))) return null;
	const fields: Record<string, string> = {};
	for (const name of names) {
		const value = spec.fields[name];
		if (typeof value !== 'string') return null;
		fields[name] = value;
	}
	return fields;
}

interface AuthInput {
	cred: Credential;
	spec: BodySpec;
	type: string | undefined | 'matching';
	odd: Record<string, string>;
}

const SIGNATURE = (key: string) => new RegExp(`^${key}:[0-9a-f]{64}$`);

/**
 * A request pusher-js could have sent: a valid credential, form or JSON with its Content-Type,
 * a valid socket id, a well-formed name. A quarter of the inputs, so the rows' matching, the
 * authorizers and the signing see thousands of requests and not only the early refusals (a
 * quarter, not more: such a request costs Directus about three times a refused one, and the
 * suite has a time budget).
 */
function wellFormed(world: FuzzWorld, fields: (socket_id: string, channel_name: string) => Record<string, unknown>): fc.Arbitrary<AuthInput> {
	return fc.record({
		cred: credential(world).filter((c) => c.kind === 'user' || c.kind === 'admin'),
		spec: bodySpec(fc.tuple(validSocketId, wellFormedChannelName(world)).map(([s, c]) => fields(s, c))).map((spec) => ({ ...spec, encoding: spec.encoding === 'json' ? 'json' : 'form', top: undefined, extra: [] })),
		type: fc.constant<'matching'>('matching'),
		odd: fc.constant({}),
	});
}

const channelAuth: Target<AuthInput> = {
	name: 'POST /realtime/auth',
	input: (world) =>
		fc.oneof(
			{ weight: 1, arbitrary: wellFormed(world, (socket_id, channel_name) => ({ socket_id, channel_name })) },
			{
				weight: 3,
				arbitrary: fc.record({
					cred: credential(world),
					spec: bodySpec(fc.record({ socket_id: fc.option(fieldValue(socketId), { freq: 12, nil: undefined }), channel_name: fc.option(fieldValue(channelName(world)), { freq: 12, nil: undefined }) })),
					type: contentType(),
					odd: oddHeaders,
				}),
			},
		),
	request: (input) => ({ method: 'POST', path: withQuery('/realtime/auth', input.cred), headers: postHeaders(input.cred, input.spec, input.type, input.odd), body: encodeBody(input.spec) }),
	check(input, res, body, world) {
		if (input.cred.kind === 'none') assert.equal(res.status, 401, 'a request without credential is refused with 401');
		if (res.status !== 200) return;
		assert.ok(input.cred.kind === 'user' || input.cred.kind === 'admin', `granted to a caller of kind ${input.cred.kind}`);
		assert.match(body.auth, SIGNATURE(world.app.key));
		const fields = plainFields(input.spec, input.type, ['socket_id', 'channel_name']);
		if (fields) {
			// The signature is over what was sent: nothing of the name was changed on the way.
			const signed = `${fields.socket_id}:${fields.channel_name}${body.channel_data === undefined ? '' : `:${body.channel_data}`}`;
			assert.equal(body.auth, `${world.app.key}:${hmac(world.app.secret, signed)}`);
			assert.equal(body.shared_secret !== undefined, fields.channel_name!.startsWith('private-encrypted-'));
			assert.equal(body.channel_data !== undefined, fields.channel_name!.startsWith('presence-'));
		}
	},
};

const userAuth: Target<AuthInput> = {
	name: 'POST /realtime/user-auth',
	input: (world) =>
		fc.oneof(
			{ weight: 1, arbitrary: wellFormed(world, (socket_id) => ({ socket_id })) },
			{
				weight: 3,
				arbitrary: fc.record({
					cred: credential(world),
					spec: bodySpec(fc.record({ socket_id: fc.option(fieldValue(socketId), { freq: 12, nil: undefined }), channel_name: fc.option(fieldValue(channelName(world)), { freq: 1, nil: undefined }) })),
					type: contentType(),
					odd: oddHeaders,
				}),
			},
		),
	request: (input) => ({ method: 'POST', path: withQuery('/realtime/user-auth', input.cred), headers: postHeaders(input.cred, input.spec, input.type, input.odd), body: encodeBody(input.spec) }),
	check(input, res, body, world) {
		if (input.cred.kind === 'none') assert.equal(res.status, 401, 'a request without credential is refused with 401');
		if (res.status !== 200) return;
		assert.ok(input.cred.kind === 'user' || input.cred.kind === 'admin', `signed in a caller of kind ${input.cred.kind}`);
		const user = JSON.parse(body.user_data);
		assert.equal(user.id, input.cred.kind === 'admin' ? world.adminId : world.userId);
		assert.doesNotMatch(body.user_data, /password|token|tfa_secret|auth_data/);
		const fields = plainFields(input.spec, input.type, ['socket_id']);
		if (fields) assert.equal(body.auth, `${world.app.key}:${hmac(world.app.secret, `${fields.socket_id}::user::${body.user_data}`)}`);
	},
};

interface WebhookInput {
	body: { kind: 'batch'; batch: unknown } | { kind: 'raw'; raw: string | Uint8Array };
	key: 'ours' | 'missing' | 'other';
	otherKey: string;
	signature: 'valid' | 'missing' | 'wrong-secret' | 'other-body' | 'upper' | 'junk';
	junk: string;
	type: string | undefined;
}

const EVENT_NAMES = ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event', 'subscription_count', 'cache_miss'];

function webhookEvent(world: FuzzWorld): fc.Arbitrary<unknown> {
	const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('', 'x'.repeat(1001)));
	const event = fc.record(
		{
			name: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...EVENT_NAMES) }, { weight: 1, arbitrary: fieldValue(text) }),
			channel: fc.oneof({ weight: 6, arbitrary: channelName(world) }, { weight: 1, arbitrary: fieldValue(text) }),
			user_id: fc.oneof(fc.constantFrom(world.userId, world.adminId, world.otherUserId, '00000000-0000-0000-0000-000000000000'), fieldValue(text)),
			event: fc.oneof(fc.constantFrom('client-typing', 'pusher:x'), fieldValue(text)),
			data: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: 'binary', maxLength: 50 })),
			socket_id: fieldValue(socketId),
			subscription_count: fc.oneof(fc.integer(), fc.double(), fc.constant('3')),
		},
		{ requiredKeys: [] },
	);
	return fc.oneof({ weight: 12, arbitrary: event }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
}

const webhook: Target<WebhookInput> = {
	name: 'POST /realtime/webhook',
	input: (world) =>
		fc.record({
			body: fc.oneof(
				{
					weight: 6,
					arbitrary: fc
						.record(
							{
								time_ms: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 2 ** 45 }) }, { weight: 1, arbitrary: fc.oneof(fc.double(), fc.string({ maxLength: 5 }), fc.constant(null)) }),
								events: fc.oneof({ weight: 8, arbitrary: fc.array(webhookEvent(world), { maxLength: 6 }) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }),
							},
							{ requiredKeys: [] },
						)
						.map((batch) => ({ kind: 'batch' as const, batch })),
				},
				{
					weight: 2,
					arbitrary: fc
						.oneof(
							fc.string({ unit: 'binary', maxLength: 200 }),
							fc.uint8Array({ maxLength: 200 }),
							fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? ''),
							// Past the 256 KB limit, and just under it.
							fc.constantFrom(256 * 1024 - 40, 256 * 1024 + 1, 300_000).map((n) => `{"time_ms":1,"events":[],"pad":"${'p'.repeat(n)}"}`),
						)
						.map((raw) => ({ kind: 'raw' as const, raw })),
				},
			),
			key: fc.oneof({ weight: 8, arbitrary: fc.constant<'ours'>('ours') }, { weight: 1, arbitrary: fc.constantFrom<'missing' | 'other'>('missing', 'other') }),
			otherKey: headerText(40).filter((k) => k.trim() !== '' && k === k.trim()),
			signature: fc.oneof({ weight: 8, arbitrary: fc.constant<'valid'>('valid') }, { weight: 3, arbitrary: fc.constantFrom<WebhookInput['signature']>('missing', 'wrong-secret', 'other-body', 'upper', 'junk') }),
			junk: headerText(70),
			type: fc.oneof({ weight: 6, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom(undefined, 'text/plain', 'application/x-www-form-urlencoded', '') }),
		}),
	request(input, world) {
		const body = input.body.kind === 'batch' ? JSON.stringify(input.body.batch) : typeof input.body.raw === 'string' ? input.body.raw : Buffer.from(input.body.raw);
		const signatures: Record<WebhookInput['signature'], string | undefined> = {
			valid: hmac(world.app.secret, body),
			missing: undefined,
			'wrong-secret': hmac(`${world.app.secret}x`, body),
			'other-body': hmac(world.app.secret, `${typeof body === 'string' ? body : body.toString('latin1')} `),
			upper: hmac(world.app.secret, body).toUpperCase(),
			junk: input.junk,
		};
		const key = { ours: world.app.key, missing: undefined, other: input.otherKey === world.app.key ? `${input.otherKey}x` : input.otherKey }[input.key];
		const signature = signatures[input.signature];
		const headers: Record<string, string> = {};
		if (input.type !== undefined) headers['content-type'] = input.type;
		if (key !== undefined) headers['x-pusher-key'] = key;
		if (signature !== undefined) headers['x-pusher-signature'] = signature;
		return { method: 'POST', path: '/realtime/webhook', headers, body };
	},
	check(input, res, body) {
		const signed = input.key === 'ours' && (input.signature === 'valid' || input.signature === 'upper');
		// The headers are checked before the body's size, the size before the signature.
		const headersFail = input.key !== 'ours' || input.signature === 'missing' || (input.signature === 'junk' && !/^[0-9a-f]{64}$/i.test(input.junk));
		if (headersFail) assert.equal(res.status, 401, 'a webhook without our key and a signature is refused with 401, body unread');
		else if (!signed) assert.ok(res.status === 401 || res.status === 413, `a webhook whose signature does not match: ${res.status}`);
		if (res.status !== 200) return;
		assert.ok(signed, 'accepted an unsigned webhook');
		assert.equal(input.body.kind === 'batch' ? (input.body.batch as { events: unknown[] }).events.length : body.received, body.received);
		assert.ok(Number.isInteger(body.emitted) && body.emitted <= body.received);
	},
};

interface ChannelsInput {
	cred: Credential;
	query: Array<[string, string]>;
}

const QUERY_KEYS = ['filter_by_prefix', 'info', 'filter_by_prefix[]', 'info[]', 'info[a]', 'filter_by_prefix[a][b]', '__proto__', 'constructor[prototype][x]', 'fields', 'limit', 'access_token'];

const channels: Target<ChannelsInput> = {
	name: 'GET /realtime/channels',
	input: (world) =>
		fc.record({
			cred: credential(world),
			query: fc.array(
				fc.tuple(
					fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) }),
					fc.oneof(
						fc.constantFrom('subscription_count', 'user_count', 'subscription_count,user_count', 'presence-', 'private-', 'presence-room-', '', ',', 'user_count,'),
						channelName(world),
						fc.string({ unit: 'binary', maxLength: 30 }),
					),
				),
				{ maxLength: 4 },
			),
		}),
	request(input) {
		const query = input.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
		return { method: 'GET', path: withQuery('/realtime/channels', input.cred, query), headers: input.cred.headers };
	},
	check(input, res, body) {
		// Others get the one 403, or Directus' own 400/401 for a token it cannot use.
		if (input.cred.kind !== 'admin') assert.ok([400, 401, 403].includes(res.status), `only admins list channels: ${res.status}`);
		if (res.status !== 200) return;
		assert.equal(input.cred.kind, 'admin');
		assert.equal(typeof body.channels, 'object');
	},
};

interface UsersInput {
	cred: Credential;
	name: string;
	/** How the name goes into the path. */
	encoding: 'component' | 'double' | 'raw-percent';
}

const users: Target<UsersInput> = {
	name: 'GET /realtime/channels/<name>/users',
	input: (world) =>
		fc.record({
			cred: credential(world),
			name: fc.oneof(channelName(world), wellFormedChannelName(world).map((name) => name.replace(/^[a-z-]*?(room|lobby|odd)/, 'presence-$1'))),
			encoding: fc.oneof({ weight: 8, arbitrary: fc.constant<'component'>('component') }, { weight: 1, arbitrary: fc.constantFrom<'double' | 'raw-percent'>('double', 'raw-percent') }),
		}),
	request(input) {
		const encoded = {
			component: () => encodeURIComponent(input.name),
			double: () => encodeURIComponent(encodeURIComponent(input.name)),
			// Percent signs left as they are: "%", "%zz", "%E0%A4%A" are not valid escapes.
			'raw-percent': () => encodeURIComponent(input.name).replace(/%25/g, '%') + '%',
		}[input.encoding]();
		return { method: 'GET', path: withQuery(`/realtime/channels/${encoded}/users`, input.cred), headers: input.cred.headers };
	},
	check(input, res, body) {
		if (input.cred.kind === 'none') assert.ok(res.status === 401 || res.status === 400 || res.status === 404, `anonymous: ${res.status}`);
		if (res.status !== 200) return;
		assert.ok(input.cred.kind === 'user' || input.cred.kind === 'admin');
		assert.ok(Array.isArray(body.users));
	},
};

interface HistoryInput {
	cred: Credential;
	name: string;
	/** Query parameters as sent, well-formed or not, repeated or nested. */
	query: Array<[string, string]>;
}

const queryValue = fc.oneof(
	fc.nat({ max: 2000 }).map(String),
	fc.constantFrom('-1', '1.5', '1e3', '9'.repeat(40), '', '0x10', "e'; drop", 'a'.repeat(65), '%00', 'epoch-1'),
	headerText(30),
);

const history: Target<HistoryInput> = {
	name: 'GET /realtime/channels/<name>/history',
	input: (world) =>
		fc.record({
			cred: credential(world),
			name: fc.oneof(channelName(world), wellFormedChannelName(world)),
			query: fc.array(fc.tuple(fc.constantFrom('since', 'epoch', 'limit', 'since[]', 'since[$gt]', 'limit[]', 'x'), queryValue), { maxLength: 5 }),
		}),
	request(input) {
		const extra = input.query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
		return { method: 'GET', path: withQuery(`/realtime/channels/${encodeURIComponent(input.name)}/history`, input.cred, extra), headers: input.cred.headers };
	},
	check(input, res, body) {
		assert.ok([200, 400, 401, 403, 404, 501, 503].includes(res.status), `status ${res.status}`);
		if (res.status !== 200) return;
		assert.equal(body.channel, input.name);
		assert.equal(typeof body.epoch, 'string');
		assert.equal(typeof body.recovered, 'boolean');
		assert.equal(typeof body.more, 'boolean');
		assert.ok(Number.isInteger(body.latest) && body.latest >= 0);
		assert.ok(Array.isArray(body.items) && body.items.length <= 1000);
		// Only a public channel answers a caller without a user.
		if (input.cred.kind === 'none') assert.ok(!/^(private|presence)-/.test(input.name), `anonymous got the history of ${input.name}`);
	},
};

/** Every fuzzed endpoint. */
export const TARGETS: Target[] = [channelAuth, userAuth, webhook, channels, users, history];
