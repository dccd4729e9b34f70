/**
 * Channel name patterns, Express-style as in the seed extension (path-to-regexp 6):
 * `private-chat-:userId`, `private-room-:roomId(\d+)`. Matching is case-sensitive, whole-name and
 * type-aware: a pattern has the type of its literal prefix and matches only names of that type,
 * so `private-:x` never matches `private-encrypted-…`. Compiled once per pattern text and kept
 * (patterns come from a handful of admin-edited rows).
 */
import { compile, parse, regexpToFunction, tokensToRegexp, type Key, type MatchFunction, type PathFunction } from 'path-to-regexp';
import safeRegex from 'safe-regex2';
import { RealtimeError } from '../errors.js';
import { assertChannelName, channelType, type ChannelType } from './names.js';

export type ChannelParams = Record<string, string>;

export interface ChannelPattern {
	readonly source: string;
	/** The type of the literal prefix; a pattern that starts with a parameter is public. */
	readonly type: ChannelType;
	/** Names of the pattern's parameters, in order. */
	readonly params: readonly string[];
	/** Characters outside parameters: the more, the more specific the pattern. */
	readonly literalLength: number;
	/** The parameters if `name` is of this pattern's type and matches, else null. */
	match(name: string): ChannelParams | null;
	/**
	 * The channel name for these parameters. Throws INVALID_CHANNEL_NAME when they do not fit, and
	 * CHANNEL_MISMATCH when the name does not match this pattern back with exactly these values
	 * (item data such as `userId = "encrypted-5"` must not steer a name into another type or shape).
	 */
	fill(params: unknown): string;
}

const OPTIONS = { sensitive: true, strict: true, end: true } as const;
const identity = (value: string) => value;
const cache = new Map<string, ChannelPattern>();
const CACHE_LIMIT = 1000;

/** Parses a pattern; throws INVALID_PATTERN with the parser's reason, or when a regex could backtrack without end. */
export function channelPattern(source: string): ChannelPattern {
	const cached = cache.get(source);
	if (cached) return cached;
	const compiled = compilePattern(source);
	if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
	cache.set(source, compiled);
	return compiled;
}

function compilePattern(source: string): ChannelPattern {
	if (typeof source !== 'string' || source.length === 0) throw new RealtimeError('INVALID_PATTERN', 'channel name pattern is empty');
	let tokens: ReturnType<typeof parse>;
	let regexp: RegExp;
	let matcher: MatchFunction<ChannelParams>;
	let filler: PathFunction<object>;
	const keys: Key[] = [];
	try {
		tokens = parse(source);
		regexp = tokensToRegexp(tokens, keys, OPTIONS);
		matcher = regexpToFunction<ChannelParams>(regexp, keys, { decode: identity });
		filler = compile(source, { ...OPTIONS, encode: identity, validate: true });
	} catch (error) {
		throw new RealtimeError('INVALID_PATTERN', `channel name pattern "${source}" does not parse: ${(error as Error).message}`);
	}
	assertSafe(source, keys, regexp);
	const params = keys.map((k) => String(k.name));
	const first = tokens[0];
	const literalPrefix = typeof first === 'string' ? first : (first?.prefix ?? '');
	const type = channelType(literalPrefix);
	const literalLength = tokens.reduce((n, t) => n + (typeof t === 'string' ? t.length : t.prefix.length + t.suffix.length), 0);

	const match = (name: string): ChannelParams | null => {
		if (channelType(name) !== type) return null;
		const result = matcher(name);
		return result ? { ...result.params } : null;
	};

	return {
		source,
		type,
		params,
		literalLength,
		match,
		fill(values) {
			if (values === null || typeof values !== 'object' || Array.isArray(values)) {
				throw new RealtimeError('INVALID_CHANNEL_NAME', `channel parameters for "${source}" must be an object`);
			}
			const strings: ChannelParams = {};
			for (const param of params) {
				const value = (values as Record<string, unknown>)[param];
				if (typeof value !== 'string' && typeof value !== 'number') {
					throw new RealtimeError('INVALID_CHANNEL_NAME', `channel parameter "${param}" of "${source}" is missing or not a string/number`);
				}
				strings[param] = String(value);
			}
			let name: string;
			try {
				name = filler(strings);
			} catch (error) {
				throw new RealtimeError('INVALID_CHANNEL_NAME', `channel parameters do not fit "${source}": ${(error as Error).message}`);
			}
			assertChannelName(name);
			const back = match(name);
			if (!back || params.some((p) => back[p] !== strings[p])) {
				const read = back ? ` (it reads back as ${JSON.stringify(back)})` : '';
				throw new RealtimeError(
					'CHANNEL_MISMATCH',
					`channel parameters ${JSON.stringify(strings)} make "${name}", which does not match "${source}" back with the same parameters${read}`,
				);
			}
			return name;
		},
	};
}

/**
 * Channel names come from anyone who asks /realtime/auth, so a parameter regex that can
 * backtrack without end (nested quantifiers such as `(?:a+)+`) would let one request stall
 * Directus. safe-regex2 judges each custom group and the whole compiled expression.
 */
function assertSafe(source: string, keys: Key[], regexp: RegExp): void {
	for (const key of keys) {
		if (!safeRegex(key.pattern)) {
			throw new RealtimeError(
				'INVALID_PATTERN',
				`the regular expression of parameter "${String(key.name)}" in "${source}", (${key.pattern}), can take exponential time on some names: do not nest repetitions, e.g. use (\\d+) rather than ((?:\\d+)+)`,
			);
		}
	}
	if (!safeRegex(regexp)) {
		throw new RealtimeError('INVALID_PATTERN', `channel name pattern "${source}" compiles to a regular expression that can take exponential time on some names: do not repeat parameters or nest repetitions`);
	}
}
