/**
 * Generators of hostile requests, shared by the endpoint entries (targets.ts): credentials,
 * socket ids, channel names, field values, bodies and their content types. Each mixes values
 * that reach deep (valid tokens, near-valid ids, names of the suite's rows) with garbage.
 */
import fc from 'fast-check';

/** What the suite's stack offers the generators: names and secrets it set up. */
export interface FuzzWorld {
	app: { key: string; secret: string };
	/** A user's access token from /auth/login, and their id. */
	userToken: string;
	userId: string;
	/** The admin's static token and id. */
	adminToken: string;
	adminId: string;
	/** Another user's id (for names of channels that are not the caller's). */
	otherUserId: string;
}

/** Who a request claims to be, and where the credential goes. */
export interface Credential {
	kind: 'none' | 'user' | 'admin' | 'invalid';
	headers: Record<string, string>;
	/** `access_token=...` for the query string, when the credential travels there. */
	query?: string;
}

/** Printable header text (what node's HTTP client lets through), Latin-1 included. */
export const headerText = (maxLength = 60) =>
	fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff })).map((c) => String.fromCharCode(c)), maxLength });

export function credential(world: FuzzWorld): fc.Arbitrary<Credential> {
	const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
	return fc.oneof(
		{ weight: 4, arbitrary: fc.constant<Credential>({ kind: 'user', headers: bearer(world.userToken) }) },
		{ weight: 2, arbitrary: fc.constant<Credential>({ kind: 'admin', headers: bearer(world.adminToken) }) },
		{ weight: 1, arbitrary: fc.constant<Credential>({ kind: 'user', headers: {}, query: `access_token=${encodeURIComponent(world.userToken)}` }) },
		{ weight: 2, arbitrary: fc.constant<Credential>({ kind: 'none', headers: {} }) },
		{
			weight: 2,
			arbitrary: fc
				.oneof(
					headerText(80).filter((t) => t.trim() !== '' && !t.includes(' ')),
					// A valid token cut short or lengthened, as a JWT or a static token.
					fc.nat({ max: world.userToken.length - 1 }).map((n) => world.userToken.slice(0, n) + 'x'),
					fc.constantFrom('null', 'undefined', 'Bearer', '""', 'admin', 'a.b.c', 'eyJhbGciOiJub25lIn0.e30.'),
				)
				.map((token): Credential => ({ kind: 'invalid', headers: bearer(token) })),
		},
		{
			weight: 1,
			arbitrary: fc
				.oneof(
					headerText(40).map((t) => ({ authorization: t })),
					fc.constantFrom({ authorization: 'Bearer' }, { authorization: 'Basic YTpi' }, { authorization: `Bearer ${world.userToken} extra` }, { authorization: `bearer  ${world.userToken}` }),
				)
				// Not a credential in Directus' eyes unless it is "Bearer <one word>".
				.map((headers): Credential => ({ kind: /^bearer \S+$/i.test(headers.authorization) ? 'invalid' : 'none', headers })),
		},
		{
			weight: 1,
			arbitrary: fc
				.oneof(headerText(40).filter((v) => /\S/.test(v) && !v.includes(';')), fc.constantFrom('""', 'x', '%00'))
				.map((value): Credential => ({ kind: value === '""' ? 'none' : 'invalid', headers: { cookie: `directus_session_token=${value}` } })),
		},
	);
}

/** Digits, as socket ids and numeric parameters have them. */
const digits = (max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: max });

export const validSocketId = fc.tuple(digits(20), digits(20)).map(([a, b]) => `${a}.${b}`);

export const socketId: fc.Arbitrary<string> = fc.oneof(
	{ weight: 5, arbitrary: validSocketId },
	{
		weight: 3,
		arbitrary: fc.tuple(validSocketId, fc.constantFrom('\n', ' ', ':private-x', '.1', '\u0000', '\u2028', '%', '٣', ':')).chain(([id, extra]) =>
			fc.constantFrom(id + extra, extra + id, id.replace('.', extra), id.replace('.', '')),
		),
	},
	{ weight: 1, arbitrary: fc.constantFrom('', '.', '1.', '.1', '1..2', '-1.2', '1.-2', '1e3.4', '0x1.2', '١٢٣.٤٥٦', '1'.repeat(21) + '.1', '1.' + '2'.repeat(21), ' 1.2', 'NaN.NaN') },
	{ weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);

/** Prefixes of every channel type, of the cache types to come, the user channel's, and near misses. */
const PREFIXES = ['', 'private-', 'presence-', 'private-encrypted-', 'cache-', 'private-cache-', 'presence-cache-', 'private-encrypted-cache-', '#server-to-user-', 'Private-', 'PRESENCE-', 'private', 'presence', 'private-encrypted', 'private--', 'presence-presence-'];
/** Stems of the suite's rows (fuzz.test.ts), so names often match a row and reach its authorizer. */
const STEMS = ['', 'room-', 'chat-', 'vault-', 'lobby', 'open-', 'odd-', 'news-', 'encrypted-vault-', 'chat-notification-', 'room-1', 'doc-'];

/** A parameter's value: what a row's `:param` may catch, and what it must not. */
function parameter(world: FuzzWorld): fc.Arbitrary<string> {
	return fc.oneof(
		{ weight: 4, arbitrary: digits(12) },
		{ weight: 2, arbitrary: fc.constantFrom(world.userId, world.adminId, world.otherUserId, '1', '2', 'closed', '0', '-1') },
		{ weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9_\-=@,.;]{0,40}$/) },
		{ weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
		{ weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
		{ weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), maxLength: 8 }) },
		// Odd lengths: around Pusher's 164, Soketi's 200, and far past the 8 KB body limit.
		{ weight: 1, arbitrary: fc.tuple(fc.constantFrom(140, 150, 155, 160, 200, 1000, 9000), fc.integer({ min: -5, max: 5 }), fc.constantFrom('x', '1', 'é', '😀', '-')).map(([n, d, c]) => c.repeat(n + d)) },
	);
}

/**
 * A name well-formed for Pusher (its characters, at most 164 of them) of the suite's rows' types
 * and stems: what gets past the checks to the rows and their authorizers.
 */
export function wellFormedChannelName(world: FuzzWorld): fc.Arbitrary<string> {
	return fc
		.tuple(
			fc.constantFrom('private-', 'presence-', 'private-encrypted-', 'news-', 'private-cache-'),
			fc.constantFrom('room-', 'chat-', 'chat-notification-', 'vault-', 'encrypted-vault-', 'lobby', 'open-', 'odd-', 'doc-'),
			fc.oneof(digits(8), fc.constantFrom(world.userId, world.adminId, world.otherUserId, '1', '2', '3', '4', 'closed', ''), fc.stringMatching(/^[A-Za-z0-9_\-=@,.;]{1,20}$/)),
		)
		.map((parts) => parts.join('').slice(0, 164));
}

export function channelName(world: FuzzWorld): fc.Arbitrary<string> {
	return fc.oneof(
		{ weight: 8, arbitrary: fc.tuple(fc.constantFrom(...PREFIXES), fc.constantFrom(...STEMS), parameter(world), fc.constantFrom('', '', '', '-x', '.1', ':', '/users', '\n')).map((parts) => parts.join('')) },
		{ weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
		{ weight: 1, arbitrary: fc.constantFrom('', 'private-', 'presence-', 'private-encrypted-', `presence-room-${world.userId}`, `private-chat-${world.userId}`, `private-encrypted-vault-${world.userId}`, 'presence-lobby', 'private-room-2') },
	);
}

/** What a body field may hold in JSON: usually a string, sometimes anything else. */
export function fieldValue(text: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
	return fc.oneof(
		{ weight: 12, arbitrary: text },
		{ weight: 1, arbitrary: fc.constantFrom(null, true, 0, 1234.5678, -1, '', [], {}) },
		{ weight: 1, arbitrary: fc.array(text, { maxLength: 3 }) },
		{ weight: 1, arbitrary: fc.dictionary(fc.constantFrom('toString', 'valueOf', '__proto__', 'length', 'a'), text, { maxKeys: 2 }) },
		{ weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
	);
}

/** How a body is written, whatever its Content-Type says. */
export type BodyEncoding = 'form' | 'json' | 'json-duplicates' | 'broken-json' | 'text' | 'bytes' | 'oversized' | 'none';

export interface BodySpec {
	encoding: BodyEncoding;
	/** The fields meant (for form and JSON encodings; absent fields are left out). */
	fields: Record<string, unknown>;
	/** A JSON body's top level other than an object. */
	top?: unknown;
	/** Extra form keys: repeats, brackets, junk. */
	extra: Array<[string, string]>;
	raw: string | Uint8Array;
}

export function bodySpec(fields: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<BodySpec> {
	return fc.record({
		encoding: fc.oneof(
			{ weight: 6, arbitrary: fc.constant<BodyEncoding>('form') },
			{ weight: 6, arbitrary: fc.constant<BodyEncoding>('json') },
			{ weight: 1, arbitrary: fc.constantFrom<BodyEncoding>('json-duplicates', 'broken-json', 'text', 'bytes', 'oversized', 'none') },
		),
		fields,
		top: fc.option(fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(null, [], 'x', 0)), { freq: 12, nil: undefined }),
		extra: fc.array(
			fc.tuple(fc.oneof(fc.constantFrom('socket_id', 'channel_name', 'socket_id[]', 'channel_name[a]', '__proto__', 'constructor[prototype][x]'), fc.string({ maxLength: 8 })), fc.string({ unit: 'binary', maxLength: 20 })),
			{ maxLength: 2 },
		),
		raw: fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.uint8Array({ maxLength: 200 })),
	});
}

const quote = (value: unknown) => JSON.stringify(value) ?? 'null';

/** The bytes of a body spec. */
export function encodeBody(spec: BodySpec): string | Buffer | undefined {
	const present = Object.entries(spec.fields).filter(([, v]) => v !== undefined);
	switch (spec.encoding) {
		case 'form': {
			const params = new URLSearchParams();
			for (const [k, v] of present) {
				if (Array.isArray(v)) for (const item of v) params.append(k, typeof item === 'string' ? item : quote(item));
				else params.append(k, typeof v === 'string' ? v : quote(v));
			}
			for (const [k, v] of spec.extra) params.append(k, v);
			return params.toString();
		}
		case 'json':
			return spec.top !== undefined ? quote(spec.top) : quote(Object.fromEntries(present));
		case 'json-duplicates':
			// The same keys twice, the second time with the extra values: JSON.parse keeps the last.
			return `{${[...present.map(([k, v]) => `${quote(k)}:${quote(v)}`), ...present.map(([k], i) => `${quote(k)}:${quote(spec.extra[i]?.[1] ?? ['x'])}`)].join(',')}}`;
		case 'broken-json': {
			const text = quote(Object.fromEntries(present));
			return ['\ufeff' + text, text.slice(0, Math.max(1, text.length - 2)), `${text}}`, `${text} trailing`, `{${text}`, text.replace(':', '::')][text.length % 6];
		}
		case 'text':
			return typeof spec.raw === 'string' ? spec.raw : Buffer.from(spec.raw).toString('latin1');
		case 'bytes':
			return Buffer.from(typeof spec.raw === 'string' ? Buffer.from(spec.raw) : spec.raw);
		case 'oversized':
			return `socket_id=1.2&channel_name=private-${'a'.repeat(9000 + (present.length * 997))}`;
		case 'none':
			return undefined;
	}
}

/** The Content-Type a body goes with: usually its own, often another, sometimes none or junk. */
export function contentType(): fc.Arbitrary<string | undefined | 'matching'> {
	return fc.oneof(
		{ weight: 10, arbitrary: fc.constant<'matching'>('matching') },
		{
			weight: 4,
			arbitrary: fc.constantFrom(
				'application/x-www-form-urlencoded',
				'application/json',
				'application/json; charset=utf-8',
				'Application/JSON',
				' application/json ',
				'application/json; charset=utf-16',
				'application/json; charset=bogus',
				'application/x-www-form-urlencoded; charset=latin1',
				'text/plain',
				'multipart/form-data; boundary=xyz',
				'application/octet-stream',
				'application/vnd.api+json',
				'application/merge-patch+json',
				'',
			),
		},
		{ weight: 1, arbitrary: fc.constant(undefined) },
		{ weight: 1, arbitrary: headerText(60) },
	);
}

/** Content-Type for a body's encoding, when the generator chose 'matching'. */
export function matchingType(encoding: BodyEncoding): string | undefined {
	if (encoding === 'none') return undefined;
	if (encoding === 'form' || encoding === 'oversized') return 'application/x-www-form-urlencoded';
	if (encoding === 'text' || encoding === 'bytes') return 'text/plain';
	return 'application/json';
}

/** Headers that change how a body is read: compression that is not there, a charset, an Expect. */
export const oddHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
	{ weight: 12, arbitrary: fc.constant({}) },
	{ weight: 1, arbitrary: fc.constantFrom<Record<string, string>>({ 'content-encoding': 'gzip' }, { 'content-encoding': 'deflate' }, { 'content-encoding': 'br' }, { 'content-encoding': 'identity' }, { 'content-encoding': 'x-bogus' }, { 'x-socket-id': '1.2' }, { accept: 'text/html' }) },
);
