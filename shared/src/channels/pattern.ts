/**
 * Channel name patterns, Express-style as in the seed extension (path-to-regexp 6):
 * `private-chat-:userId`, `private-room-:roomId(\d+)`. Matching is case-sensitive, whole-name and
 * type-aware: a pattern has the type of its literal prefix and matches only names of that type,
 * so `private-:x` never matches `private-encrypted-…`. Compiled once per pattern text and kept,
 * refusals too (patterns come from a handful of admin-edited rows, and the safety check is the
 * expensive part).
 */
import { compile, parse, regexpToFunction, tokensToRegexp, type Key, type MatchFunction, type PathFunction } from 'path-to-regexp';
import { isSafe } from 'redos-detector';
import { RealtimeError } from '../errors.js';
import { assertChannelName, channelKind, MAX_CHANNEL_NAME_LENGTH, typeOfKind, type ChannelKind, type ChannelType } from '../pusher/names.js';

export type ChannelParams = Record<string, string>;

export interface ChannelPattern {
	readonly source: string;
	/**
	 * What the pattern matches, whatever its parameters are called: `private-chat-:userId` and
	 * `private-chat-:id` have the same shape (the compiled expression's source).
	 */
	readonly shape: string;
	/** The kind of the literal prefix; a pattern that starts with a parameter is public. */
	readonly kind: ChannelKind;
	/** How names of its kind are authorized (a cache kind: as the kind without the cache). */
	readonly type: ChannelType;
	/** Names of the pattern's parameters, in order. */
	readonly params: readonly string[];
	/** Characters outside parameters: the more, the more specific the pattern. */
	readonly literalLength: number;
	/** The parameters if `name` is of this pattern's kind and matches, else null. */
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
const cache = new Map<string, ChannelPattern | RealtimeError>();
const CACHE_LIMIT = 1000;

/**
 * Regex syntax in a pattern: groups, modifiers, escapes. Pattern texts a publisher builds at run
 * time (maybe from item data) must have none, so an item cannot make the server analyse a
 * crafted regex per event; whatever else is wrong with them fails as a channel name would.
 */
const REGEX_SYNTAX = /[(){}?*+\\]/;

export function assertPlainPattern(source: unknown): asserts source is string {
	if (typeof source !== 'string' || REGEX_SYNTAX.test(source)) {
		throw new RealtimeError(
			'INVALID_PATTERN',
			'a pattern that is no channel row\'s may hold only channel-name characters and plain :name parameters (no regex); give a row that pattern to use a regex',
		);
	}
}

/** Parses a pattern; throws INVALID_PATTERN with the parser's reason, or when a regex can backtrack catastrophically. */
export function channelPattern(source: string): ChannelPattern {
	const cached = cache.get(source);
	if (cached instanceof RealtimeError) throw cached;
	if (cached) return cached;
	let compiled: ChannelPattern | RealtimeError;
	try {
		compiled = compilePattern(source);
	} catch (error) {
		if (!(error instanceof RealtimeError)) throw error;
		compiled = error;
	}
	if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
	cache.set(source, compiled);
	if (compiled instanceof RealtimeError) throw compiled;
	return compiled;
}

function compilePattern(source: string): ChannelPattern {
	if (typeof source !== 'string' || source.length === 0) throw new RealtimeError('INVALID_PATTERN', 'channel name pattern is empty');
	// As on save. It also bounds the safety check, whose cost grows with the number of parameters,
	// for pattern texts that come from a script's broadcastTo() rather than a saved row.
	if (source.length > MAX_CHANNEL_NAME_LENGTH) {
		throw new RealtimeError('INVALID_PATTERN', `channel name pattern is longer than ${MAX_CHANNEL_NAME_LENGTH} characters`);
	}
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
	assertSafe(source, tokens);
	const params = keys.map((k) => String(k.name));
	const first = tokens[0];
	const literalPrefix = typeof first === 'string' ? first : (first?.prefix ?? '');
	const kind = channelKind(literalPrefix);
	const literalLength = tokens.reduce((n, t) => n + (typeof t === 'string' ? t.length : t.prefix.length + t.suffix.length), 0);

	const match = (name: string): ChannelParams | null => {
		if (channelKind(name) !== kind) return null;
		const result = matcher(name);
		return result ? { ...result.params } : null;
	};

	return {
		source,
		shape: regexp.source,
		kind,
		type: typeOfKind(kind),
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
 * The analysis bound. The default (20000) can take minutes and gigabytes on `(?:a|a)*`; at 1000
 * an unsafe regex is refused in well under a second and every usual one passes (bench/ measures).
 */
const SAFETY_MAX_STEPS = 1000;

/**
 * Channel names come from anyone who asks /realtime/auth, so a parameter regex that can backtrack
 * catastrophically (`(?:a+)+`, and also `(?:a|a)*`, whose alternatives overlap) would let one
 * request stall Directus.
 *
 * redos-detector decides: it follows every way a regex can match the same text, so it sees
 * overlapping alternatives and accepts unambiguous repetitions such as `(?:\d+-)+`, which a
 * star-height check (safe-regex2) gets wrong both ways. recheck is as precise, but it is fast only
 * through a native binary run as a child process, which the bundled extensions would have to ship
 * beside them, and its pure-JS build falls back to time-limited fuzzing (a verdict that changes
 * with load).
 * redos-detector is plain TypeScript, bundles, and with `maxSteps` alone (no timeout) gives the
 * same verdict on every run: a safe row is never skipped because the server was busy.
 *
 * It judges each parameter alone, as path-to-regexp compiles it (its regex, with its `+`/`*`
 * repetition): that is what an admin wrote. It scores the ways to match any prefix of a name,
 * so it refuses polynomial ambiguity too, and the whole compiled pattern is not judged: in
 * `presence-:team-:room`, `team` may take a "-" or stop before it, and the plain seed pattern
 * would be refused. Between parameters the cost is polynomial in the name, which is at most 164
 * characters; exponential backtracking needs a repetition whose body matches the same text two
 * ways, and every repetition lies inside one parameter.
 */
function assertSafe(source: string, tokens: ReturnType<typeof parse>): void {
	for (const token of tokens) {
		if (typeof token === 'string') continue;
		const alone = tokensToRegexp([token], [], OPTIONS);
		const verdict = isSafe(alone, { maxSteps: SAFETY_MAX_STEPS });
		if (verdict.safe) continue;
		// What the admin wrote: a parameter without a regex gets path-to-regexp's default one.
		const name = String(token.name);
		const written = source.includes(`:${name}(`) ? `:${name}(${token.pattern})${token.modifier}` : `:${name}${token.modifier}`;
		const why = verdict.error === 'hitMaxSteps' ? 'it is too complex to show that it cannot' : 'the same text can be matched in many ways';
		throw new RealtimeError(
			'INVALID_PATTERN',
			`the regular expression of parameter "${name}" in "${source}", ${written}, can backtrack catastrophically on some names (${why}): let each character match one way only, e.g. (\\d+) rather than ((?:\\d+)+), (a) rather than ((?:a|a)*)`,
		);
	}
}
