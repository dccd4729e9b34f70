/**
 * Channel name patterns, Express-style as in the seed extension: `private-chat-:userId`,
 * `private-room-:roomId(\d+)`. Matching is case-sensitive and whole-name. Compiled once per
 * pattern text and kept (patterns come from a handful of admin-edited rows).
 */
import { compile, match, parse, type MatchFunction, type PathFunction } from 'path-to-regexp';
import { RealtimeError } from '../errors.js';
import { assertChannelName } from './names.js';

export type ChannelParams = Record<string, string>;

export interface ChannelPattern {
	readonly source: string;
	/** Names of the pattern's parameters, in order. */
	readonly params: readonly string[];
	/** The parameters if `name` matches, else null. */
	match(name: string): ChannelParams | null;
	/** The channel name for these parameters; throws INVALID_CHANNEL_NAME when they do not fit. */
	fill(params: unknown): string;
}

const OPTIONS = { sensitive: true, strict: true, end: true } as const;
const identity = (value: string) => value;
const cache = new Map<string, ChannelPattern>();
const CACHE_LIMIT = 1000;

/** Parses a pattern; throws INVALID_PATTERN with the parser's reason. */
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
	let matcher: MatchFunction<ChannelParams>;
	let filler: PathFunction<object>;
	try {
		tokens = parse(source);
		matcher = match<ChannelParams>(source, { ...OPTIONS, decode: identity });
		filler = compile(source, { ...OPTIONS, encode: identity, validate: true });
	} catch (error) {
		throw new RealtimeError('INVALID_PATTERN', `channel name pattern "${source}" does not parse: ${(error as Error).message}`);
	}
	const params = tokens.flatMap((t) => (typeof t === 'string' ? [] : [String(t.name)]));
	return {
		source,
		params,
		match(name) {
			const result = matcher(name);
			return result ? { ...result.params } : null;
		},
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
			return name;
		},
	};
}
